export * from './domain-events';
export * from './outbox';
