-- Memberships kept in step with the OIDC group claim (MESHFLEET_OIDC_GROUP_ROLES).
ALTER TABLE "Membership" ADD COLUMN "viaOidcGroups" BOOLEAN NOT NULL DEFAULT false;
