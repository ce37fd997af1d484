-- Who applies Linkerd on a cluster: Meshfleet (every existing cluster) or a GitOps tool.
CREATE TYPE "ManagementMode" AS ENUM ('MESHFLEET', 'GITOPS');
CREATE TYPE "GitopsTool" AS ENUM ('ARGOCD', 'FLUX');
CREATE TYPE "ManagementModeSource" AS ENUM ('USER', 'DETECTED');

ALTER TABLE "Cluster" ADD COLUMN "managementMode" "ManagementMode" NOT NULL DEFAULT 'MESHFLEET',
ADD COLUMN "gitopsTool" "GitopsTool",
ADD COLUMN "managementModeSource" "ManagementModeSource",
ADD COLUMN "gitopsEvidence" JSONB NOT NULL DEFAULT '[]';
