-- Fields of the latest report that fleet-wide queries group or filter by, kept narrow next to the
-- snapshot so the fleet summary and the periodic alert pass read them instead of de-TOASTing every
-- cluster's whole report. A trigger derives them, so every writer of the snapshot (single and
-- batched ingest, tests) keeps them right. The two trust-anchor arrays come from the same filter,
-- so they pair up by position.
ALTER TABLE "ClusterHealth" ADD COLUMN "proxySkew" TEXT,
ADD COLUMN "trustAnchorFingerprints" JSONB,
ADD COLUMN "trustAnchorSubjects" JSONB;

-- The body is an E'' string with \073 for each semicolon: migration runners that split scripts on
-- semicolons (Prisma's WASM engine) would otherwise cut the function apart.
CREATE FUNCTION "ClusterHealth_derive"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  NEW."proxySkew" := NEW."report" #>> ''{linkerd,skew,status}''\073
  NEW."trustAnchorFingerprints" := jsonb_path_query_array(NEW."report",
    ''$.certificates[*] ? (@.role == "trust-anchor").sha256Fingerprint'')\073
  NEW."trustAnchorSubjects" := jsonb_path_query_array(NEW."report",
    ''$.certificates[*] ? (@.role == "trust-anchor").subject'')\073
  RETURN NEW\073
END';

CREATE TRIGGER "ClusterHealth_derive" BEFORE INSERT OR UPDATE OF "report" ON "ClusterHealth"
  FOR EACH ROW EXECUTE FUNCTION "ClusterHealth_derive"();

-- Existing snapshots: the trigger fires on this update too.
UPDATE "ClusterHealth" SET "report" = "report";
