import { z } from 'zod';
import { JobContract } from '@meshfleet/redis';

/** The rollouts queue carries one job: the scheduled tick over every active rollout. */
export const ROLLOUT_JOBS = new JobContract('rollouts', {
  tick: z.object({}),
});
