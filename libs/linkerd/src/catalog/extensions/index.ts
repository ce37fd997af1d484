export {
  EXTENSION_NAMESPACES,
  isLinkerdExtension,
  LINKERD_EXTENSIONS,
  type ExtensionBundle,
  type LinkerdExtension,
} from './extension.types';
export { importExtensionRender, type ImportExtensionInput } from './import-extension';
export {
  allSimulatedExtensionBundles,
  renderSimulatedExtension,
  simulatedExtensionBundle,
} from './simulated-extensions';
