export * from './alert-rules.catalog';
export * from './alert-conditions';
export * from './alerts.repository';
export * from './alerts.evaluator';
export * from './alerts.service';
export * from './alerts.resolver';
export * from './alerts.module';
export * from './dto/alert.types';
