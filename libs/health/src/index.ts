export * from './health.repository';
export * from './health.resolver';
export * from './health.view';
export * from './health.module';
export * from './dto/health.types';
export * from './fleet-summary.service';
export * from './dto/fleet-summary.types';
