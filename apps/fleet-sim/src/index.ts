// Public API of @meshfleet/fleet-sim: a simulated fleet with one real agent per cluster.
export {
  startFleet,
  defaultScenarioPath,
  FleetError,
  GATEWAY_API_CRD_NAMES,
  PROVIDERS,
  type CloudProvider,
  type FleetCluster,
  type FleetOptions,
  type RunningFleet,
} from './fleet';
export { graphqlClient, FleetGraphqlError, type GraphqlClient } from './graphql-client';
