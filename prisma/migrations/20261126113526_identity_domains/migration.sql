-- CreateEnum
CREATE TYPE "IdentityMode" AS ENUM ('MANAGED', 'EXTERNAL');

-- CreateTable
CREATE TABLE "IdentityDomain" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "trustDomain" TEXT NOT NULL,
    "mode" "IdentityMode" NOT NULL,
    "anchorCertPem" TEXT,
    "anchorKeyEnc" JSONB,
    "anchorNotAfter" TIMESTAMP(3),
    "anchorFingerprint" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "IdentityDomain_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IssuerCertificate" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "identityDomainId" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "serialNumber" TEXT NOT NULL,
    "certPem" TEXT NOT NULL,
    "notBefore" TIMESTAMP(3) NOT NULL,
    "notAfter" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IssuerCertificate_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "IdentityDomain_organizationId_name_key" ON "IdentityDomain"("organizationId", "name");

-- CreateIndex
CREATE INDEX "IssuerCertificate_clusterId_createdAt_idx" ON "IssuerCertificate"("clusterId", "createdAt");

-- CreateIndex
CREATE INDEX "IssuerCertificate_organizationId_notAfter_idx" ON "IssuerCertificate"("organizationId", "notAfter");

-- AddForeignKey
ALTER TABLE "IdentityDomain" ADD CONSTRAINT "IdentityDomain_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IssuerCertificate" ADD CONSTRAINT "IssuerCertificate_identityDomainId_fkey" FOREIGN KEY ("identityDomainId") REFERENCES "IdentityDomain"("id") ON DELETE CASCADE ON UPDATE CASCADE;
