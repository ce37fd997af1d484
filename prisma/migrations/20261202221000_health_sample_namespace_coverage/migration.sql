-- Per-namespace pod coverage of each sample, {"<namespace>": [meshedPods, totalPods]}, over the
-- namespaces the report carried. Older samples stay NULL (the namespace was not recorded).
ALTER TABLE "HealthSample" ADD COLUMN "namespaceCoverage" JSONB;
