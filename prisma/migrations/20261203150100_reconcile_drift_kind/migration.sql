-- Drift reconcile: re-apply the control-plane objects Meshfleet last applied (Cluster.drift).
ALTER TYPE "OperationKind" ADD VALUE 'RECONCILE_DRIFT';
