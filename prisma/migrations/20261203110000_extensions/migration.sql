-- Linkerd extensions (issue 18): their bundles per release, and the operations that manage them.
ALTER TYPE "OperationKind" ADD VALUE 'INSTALL_EXTENSION';
ALTER TYPE "OperationKind" ADD VALUE 'UPGRADE_EXTENSION';
ALTER TYPE "OperationKind" ADD VALUE 'UNINSTALL_EXTENSION';

-- CreateTable
CREATE TABLE "ExtensionBundle" (
    "id" UUID NOT NULL,
    "releaseId" UUID NOT NULL,
    "extension" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "yaml" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ExtensionBundle_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ExtensionBundle_releaseId_extension_key" ON "ExtensionBundle"("releaseId", "extension");

-- AddForeignKey
ALTER TABLE "ExtensionBundle" ADD CONSTRAINT "ExtensionBundle_releaseId_fkey" FOREIGN KEY ("releaseId") REFERENCES "LinkerdRelease"("id") ON DELETE CASCADE ON UPDATE CASCADE;
