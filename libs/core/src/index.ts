export * from './errors';
export * from './validation';
export * from './label-selector';
export * from './pagination';
export * from './secrets';
export * from './ids';
export * from './keyed-batcher';
export * from './quantity';
