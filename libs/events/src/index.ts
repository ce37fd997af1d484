export * from './domain-events';
export * from './domain-events.repository';
export * from './outbox';
export * from './outbox.repository';
