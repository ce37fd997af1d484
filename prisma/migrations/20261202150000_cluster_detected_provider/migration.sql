-- The provider the agent detects from the nodes' spec.providerID at enrollment, kept next to the
-- one the cluster was registered with.
ALTER TABLE "Cluster" ADD COLUMN "detectedProvider" "CloudProvider";
