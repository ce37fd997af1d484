export * from './domain-events';
export * from './task-updates';
