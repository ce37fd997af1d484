export * from './connection';
export * from './error-format';
export * from './query-limits.plugin';
export * from './scalars';
export * from './domain-error.filter';
export * from './text-safety.pipe';
export * from './node';
