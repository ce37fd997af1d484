export * from './domain-events';
export * from './domain-events.repository';
export * from './outbox';
export * from './outbox.repository';
export * from './outbox-listener';
export * from './outbox.module';
