-- The earliest notAfter per certificate role of the latest report, {"trust-anchor": "<iso>", ...},
-- derived at ingest like earliestCertExpiry: the fleet metrics endpoint reads it for every
-- cluster without opening the reports.
ALTER TABLE "ClusterHealth" ADD COLUMN "certificateExpiryByRole" JSONB;

-- Snapshots stored before this column get it from their report once, here.
UPDATE "ClusterHealth" h SET "certificateExpiryByRole" = COALESCE((
  SELECT jsonb_object_agg(role, "notAfter")
  FROM (
    SELECT cert->>'role' AS role,
      to_char(MIN((cert->>'notAfter')::timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "notAfter"
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(h."report"->'certificates') = 'array'
      THEN h."report"->'certificates' ELSE '[]'::jsonb END) AS cert
    GROUP BY 1
  ) per_role
), '{}'::jsonb);
