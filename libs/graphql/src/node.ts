// Relay's Node interface and `node(id)`: any object the API shows with an `id` can be fetched
// again by that id alone. Ids are the ones the types already expose (UUIDs, unique across
// tables), so nothing changes for clients that use the typed queries. Each feature registers
// how to load its type for a principal; a load is scoped to the caller's organization, so
// another organization's id answers null, exactly as an unknown one does.
import { Field, ID, InterfaceType } from '@nestjs/graphql';
import { isDomainError } from '@meshfleet/core';

/** The property a node loader's result carries so the interface can name its concrete type. */
export const NODE_TYPE = '__nodeType';

@InterfaceType('Node', {
  description: 'An object with a global id: fetch it again with node(id)',
  resolveType: (value: Record<string, unknown>) => value[NODE_TYPE] as string,
})
export abstract class NodeInterface {
  @Field(() => ID)
  id!: string;
}

/** The caller as node loaders need it (organization scope, role for type-level rules). */
export interface NodeCaller {
  organizationId: string;
  role: string;
}

/** Loads one object of a type for the caller, or null (not found, another organization, not allowed). */
export type NodeLoader = (caller: NodeCaller, id: string) => Promise<object | null>;

const loaders = new Map<string, NodeLoader>();

/** Called once per type by the feature that owns it (its resolver's constructor). */
export function registerNodeLoader(typeName: string, load: NodeLoader): void {
  loaders.set(typeName, load);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The object with this id, tagged with its type; null when none is visible to the caller. */
export async function loadNode(caller: NodeCaller, id: string): Promise<object | null> {
  if (!UUID.test(id)) return null;
  const found = await Promise.all(
    [...loaders.entries()].map(async ([type, load]) => {
      try {
        const v = await load(caller, id);
        return v ? { ...v, [NODE_TYPE]: type } : null;
      } catch (e) {
        if (isDomainError(e) && (e.code === 'NOT_FOUND' || e.code === 'FORBIDDEN')) return null;
        throw e;
      }
    }),
  );
  return found.find((v) => v !== null) ?? null;
}
