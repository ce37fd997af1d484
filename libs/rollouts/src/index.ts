export * from './rollout-plan';
export * from './rollout-strategy';
export * from './rollouts.repository';
export * from './rollouts.service';
export * from './rollouts.orchestrator';
export * from './rollouts.resolver';
export * from './rollouts.module';
export * from './dto/rollout.types';
