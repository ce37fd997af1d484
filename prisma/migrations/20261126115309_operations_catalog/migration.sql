-- CreateEnum
CREATE TYPE "OperationKind" AS ENUM ('INSTALL', 'UPGRADE', 'UNINSTALL', 'ROTATE_ISSUER', 'RESTART_DATA_PLANE');

-- CreateEnum
CREATE TYPE "OperationStatus" AS ENUM ('QUEUED', 'DISPATCHED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT');

-- AlterTable
ALTER TABLE "Cluster" ADD COLUMN     "identityDomainId" UUID;

-- CreateTable
CREATE TABLE "LinkerdRelease" (
    "id" UUID NOT NULL,
    "organizationId" UUID,
    "version" TEXT NOT NULL,
    "major" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "kubernetesMin" TEXT NOT NULL,
    "kubernetesMax" TEXT,
    "simulated" BOOLEAN NOT NULL DEFAULT false,
    "importedBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LinkerdRelease_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReleaseBundle" (
    "id" UUID NOT NULL,
    "releaseId" UUID NOT NULL,
    "variant" TEXT NOT NULL,
    "crdsYaml" TEXT NOT NULL,
    "crdsDigest" TEXT NOT NULL,
    "controlPlaneYaml" TEXT NOT NULL,
    "controlPlaneDigest" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReleaseBundle_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Operation" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "kind" "OperationKind" NOT NULL,
    "status" "OperationStatus" NOT NULL DEFAULT 'QUEUED',
    "params" JSONB NOT NULL,
    "steps" JSONB NOT NULL DEFAULT '[]',
    "attempt" INTEGER NOT NULL DEFAULT 1,
    "requestedBy" TEXT NOT NULL,
    "error" JSONB,
    "agentTaskId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "dispatchedAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "deadlineAt" TIMESTAMP(3) NOT NULL,
    "cancelRequestedAt" TIMESTAMP(3),

    CONSTRAINT "Operation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ClusterOperationLock" (
    "clusterId" UUID NOT NULL,
    "operationId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ClusterOperationLock_pkey" PRIMARY KEY ("clusterId")
);

-- CreateIndex
CREATE INDEX "LinkerdRelease_version_idx" ON "LinkerdRelease"("version");

-- CreateIndex
CREATE UNIQUE INDEX "LinkerdRelease_organizationId_version_key" ON "LinkerdRelease"("organizationId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "ReleaseBundle_releaseId_variant_key" ON "ReleaseBundle"("releaseId", "variant");

-- CreateIndex
CREATE UNIQUE INDEX "Operation_agentTaskId_key" ON "Operation"("agentTaskId");

-- CreateIndex
CREATE INDEX "Operation_organizationId_createdAt_id_idx" ON "Operation"("organizationId", "createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "Operation_clusterId_createdAt_idx" ON "Operation"("clusterId", "createdAt");

-- CreateIndex
CREATE INDEX "Operation_status_idx" ON "Operation"("status");

-- CreateIndex
CREATE UNIQUE INDEX "ClusterOperationLock_operationId_key" ON "ClusterOperationLock"("operationId");

-- AddForeignKey
ALTER TABLE "LinkerdRelease" ADD CONSTRAINT "LinkerdRelease_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReleaseBundle" ADD CONSTRAINT "ReleaseBundle_releaseId_fkey" FOREIGN KEY ("releaseId") REFERENCES "LinkerdRelease"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Operation" ADD CONSTRAINT "Operation_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Operation" ADD CONSTRAINT "Operation_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClusterOperationLock" ADD CONSTRAINT "ClusterOperationLock_operationId_fkey" FOREIGN KEY ("operationId") REFERENCES "Operation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
