// Public surface of the release catalog (issue 5): simulated releases, imports, placeholders,
// bundle helpers and the upgrade-path policy.
export type {
  CatalogRelease,
  InventoryItem,
  KubernetesRange,
  ReleaseBundle,
  ReleaseBundles,
  ReleaseVariant,
} from './release.types';
export { PlaceholderError, ReleaseImportError, UnknownReleaseError } from './catalog.errors';
export { findSimulatedRelease, kubernetesRangeFor, SIMULATED_RELEASES } from './simulated-releases';
export {
  allSimulatedReleaseBundles,
  renderSimulatedRelease,
  simulatedReleaseBundles,
} from './render-release';
export { SIMULATED_RELEASE_LABEL } from './render/render-context';
export { gatewayApiCrdObjects } from './render/gateway-api-crds';
export { ADDED_ON_IMPORT } from './import/complete-render';
export {
  crdName,
  crdsForMajor,
  LINKERD_CRDS,
  requiredGatewayApiCrds,
  type CrdSpec,
} from './render/crd-inventory';
export {
  fillPlaceholders,
  IDENTITY_PLACEHOLDERS,
  isPlaceholderName,
  placeholder,
  placeholdersIn,
  type PlaceholderFilter,
  type PlaceholderName,
  type PlaceholderValues,
} from './placeholders';
export { importRenderedRelease, type ImportReleaseInput } from './import-release';
export { bundleDigest, normalizeBundle, objectInventory, type KubeObject } from './yaml-bundle';
export {
  checkUpgradePath,
  type UpgradePathDecision,
  type UpgradePathInput,
  type UpgradeRefusalCode,
} from './upgrade-path';
export * from './extensions';
