// Builds what an operator would paste from `helm template` / `linkerd install`: the simulated
// bundles filled with (fake) identity material, plus the noise real output carries.
import { fillPlaceholders, type PlaceholderValues } from '../placeholders';
import { FAKE_IDENTITY } from './fake-identity.fixture';
import { renderSimulatedRelease } from '../render-release';
import type { ReleaseVariant } from '../release.types';

export { FAKE_IDENTITY, FAKE_PEM_LINES } from './fake-identity.fixture';
export { cliRender, crdsRender, helmRender, type Render } from './release-renders.fixture';

// Helm prints a `# Source:` comment per template and leaves empty documents behind.
function helmNoise(yaml: string, chart: string): string {
  return yaml
    .split(/^---\n/m)
    .map((doc, i) => `---\n# Source: ${chart}/templates/object-${i}.yaml\n${doc}`)
    .join('\n---\n# Source: empty.yaml\n');
}

export function realRender(
  version: string,
  variant: ReleaseVariant,
  identity: PlaceholderValues = FAKE_IDENTITY,
) {
  const sim = renderSimulatedRelease(version, variant);
  return {
    crdsYaml: helmNoise(sim.crds, 'linkerd-crds'),
    controlPlaneYaml: helmNoise(fillPlaceholders(sim.controlPlane, identity), 'linkerd-control-plane'),
  };
}
