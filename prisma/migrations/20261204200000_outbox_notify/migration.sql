-- Outbox wake-up: every statement that inserts DomainEvent rows sends one NOTIFY on the
-- meshfleet_outbox channel. Postgres delivers it when the transaction commits (never for a
-- rolled-back one) and folds identical notifications of one transaction into one, so a batch
-- insert costs one notification, and a statement that inserted no row (an INSERT ... SELECT that
-- found nothing) sends none. Workers LISTEN and drain at once, their poll stays the safety net.
-- The body is an E'' string with \073 for each semicolon: migration runners that split scripts on
-- semicolons (Prisma's WASM engine) would otherwise cut the function apart.
CREATE FUNCTION "meshfleet_outbox_notify"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF EXISTS (SELECT 1 FROM "new_rows") THEN
    PERFORM pg_notify(''meshfleet_outbox'', '''')\073
  END IF\073
  RETURN NULL\073
END';

CREATE TRIGGER "DomainEvent_notify"
  AFTER INSERT ON "DomainEvent"
  REFERENCING NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "meshfleet_outbox_notify"();
