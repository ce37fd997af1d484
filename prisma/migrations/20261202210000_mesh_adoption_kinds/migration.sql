-- Mesh adoption operations (annotate for injection, restart in batches, and the inverse).
ALTER TYPE "OperationKind" ADD VALUE 'MESH_NAMESPACES';
ALTER TYPE "OperationKind" ADD VALUE 'UNMESH_NAMESPACES';
