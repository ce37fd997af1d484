-- Resource usage of the mesh: the latest report's block, and the trend per health sample.
ALTER TABLE "ClusterHealth" ADD COLUMN "resources" JSONB;
ALTER TABLE "HealthSample" ADD COLUMN "proxyMemoryBytes" DOUBLE PRECISION,
  ADD COLUMN "proxyMemoryMaxBytes" DOUBLE PRECISION,
  ADD COLUMN "proxyCpuCores" DOUBLE PRECISION,
  ADD COLUMN "controlPlaneMemoryBytes" DOUBLE PRECISION;
