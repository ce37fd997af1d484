-- Drift findings of the last report (null when the report has no drift check), kept by Postgres
-- from the stored report so the ingest statement stays as it is and the fleet summary reads a
-- narrow column instead of opening every report.
ALTER TABLE "ClusterHealth" ADD COLUMN "driftCount" INTEGER GENERATED ALWAYS AS (
  CASE WHEN jsonb_typeof("report"->'drift') = 'object' THEN ("report"->'drift'->>'total')::int END
) STORED;
