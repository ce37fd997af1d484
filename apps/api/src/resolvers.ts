// Every GraphQL resolver the API serves. The schema printer builds schema.graphql from this list.
import { AuditResolver } from '@meshfleet/audit';
import { ClustersResolver } from '@meshfleet/clusters';
import { TenancyResolver } from '@meshfleet/tenancy';

export const API_RESOLVERS = [TenancyResolver, ClustersResolver, AuditResolver];
