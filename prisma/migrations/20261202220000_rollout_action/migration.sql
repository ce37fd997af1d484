-- Rollouts gain an action: UPGRADE (every existing rollout) or MESH_NAMESPACES (fleet-wide mesh adoption).
CREATE TYPE "RolloutAction" AS ENUM ('UPGRADE', 'MESH_NAMESPACES');

ALTER TABLE "Rollout" ADD COLUMN "action" "RolloutAction" NOT NULL DEFAULT 'UPGRADE',
ADD COLUMN "meshParams" JSONB;
