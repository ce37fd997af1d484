-- The agent's mode (its RBAC): existing clusters were registered with the managing role.
CREATE TYPE "ClusterMode" AS ENUM ('MONITOR', 'MANAGED');
ALTER TABLE "Cluster" ADD COLUMN "mode" "ClusterMode" NOT NULL DEFAULT 'MANAGED';

-- A cluster without a Linkerd control plane is NOT_INSTALLED, not UNHEALTHY.
ALTER TYPE "HealthStatus" ADD VALUE 'NOT_INSTALLED';
