// linkerd-extension-checks: each extension label value may name one namespace only, or the CLI
// cannot tell which install to check (checkExtensionNsLabels).
import { LABEL_EXTENSION } from '../constants';
import { fail, ok, type CategoryDefinition } from './check.types';

export const extensionCategory: CategoryDefinition = {
  name: 'linkerd-extension-checks',
  checks: () => [
    {
      description: 'namespace configuration for extensions',
      hintAnchor: 'l5d-extension-namespaces',
      warning: true,
      run: (ctx) => {
        const byExtension = new Map<string, string[]>();
        for (const ns of ctx.snapshot.namespaces) {
          const ext = ns.metadata?.labels?.[LABEL_EXTENSION];
          if (ext === undefined) continue;
          byExtension.set(ext, [...(byExtension.get(ext) ?? []), ns.metadata?.name ?? '']);
        }
        const errors = [...byExtension]
          .filter(([, names]) => names.length > 1)
          .map(
            ([ext, names]) =>
              `\t* label "${LABEL_EXTENSION}=${ext}" is present on more than one namespace:\n` +
              names.map((n) => `\t\t* ${n}`).join('\n'),
          );
        return errors.length
          ? fail(['some extensions have invalid configuration', ...errors].join('\n'))
          : ok();
      },
    },
  ],
};
