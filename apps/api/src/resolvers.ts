// Every GraphQL resolver the API serves. The schema printer builds schema.graphql from this list.
import { AuditResolver } from '@meshfleet/audit';
import { ClustersResolver } from '@meshfleet/clusters';
import { TenancyResolver } from '@meshfleet/tenancy';
import {
  ClusterDriftResolver,
  ClusterGitopsSourceResolver,
  ClusterHealthResolver,
  ClusterResourcesResolver,
  MeshAdoptionResolver,
} from '@meshfleet/health';
import { IdentityDomainsResolver } from '@meshfleet/certificates';
import {
  DiagnosticsResolver,
  ExtensionsResolver,
  GitopsExportResolver,
  OperationsResolver,
} from '@meshfleet/operations';
import { AlertsResolver } from '@meshfleet/alerts';
import { WebhooksResolver } from '@meshfleet/webhooks';
import { RolloutsResolver } from '@meshfleet/rollouts';
import { NodeResolver } from './node.resolver';

export const API_RESOLVERS = [
  TenancyResolver,
  ClustersResolver,
  ClusterHealthResolver,
  ClusterResourcesResolver,
  ClusterDriftResolver,
  ClusterGitopsSourceResolver,
  MeshAdoptionResolver,
  DiagnosticsResolver,
  IdentityDomainsResolver,
  OperationsResolver,
  GitopsExportResolver,
  ExtensionsResolver,
  RolloutsResolver,
  AuditResolver,
  AlertsResolver,
  WebhooksResolver,
  NodeResolver,
];
