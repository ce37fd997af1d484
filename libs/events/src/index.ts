export * from './domain-events';
export * from './task-updates';
export * from './outbox';
