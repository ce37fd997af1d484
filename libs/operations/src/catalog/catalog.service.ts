import { Injectable, Logger } from '@nestjs/common';
import {
  allSimulatedExtensionBundles,
  allSimulatedReleaseBundles,
  importExtensionRender,
  type ExtensionBundle as RenderedExtension,
  importRenderedRelease,
  kubernetesRangeFor,
  parseLinkerdVersion,
  ReleaseImportError,
} from '@meshfleet/linkerd';
import { ConflictError, FailedPreconditionError, NotFoundError, ValidationError } from '@meshfleet/core';
import { Actor } from '@meshfleet/auth';
import { AuditService } from '@meshfleet/audit';
import { ExtensionBundle, ReleaseBundle } from '@meshfleet/db';
import { CatalogRepository, ReleaseWithBundles } from './catalog.repository';
import { importDecision } from './import-decision';

export type Variant = 'default' | 'ha';

/** A release as listed: `shadowsSimulated` when an import hides the shipped one of its version. */
export type CatalogEntry = ReleaseWithBundles & { shadowsSimulated: boolean };

export interface ImportReleaseData {
  version: string;
  variant: Variant;
  crdsYaml: string;
  controlPlaneYaml: string;
  /** Replace a stored variant whose manifests differ (audited as a replacement). */
  replace?: boolean;
}

@Injectable()
export class CatalogService {
  private readonly log = new Logger(CatalogService.name);

  constructor(
    private readonly repo: CatalogRepository,
    private readonly audit: AuditService,
  ) {}

  /** Ships the simulated 2.18–2.20 catalog (idempotent; run at start-up). */
  async ensureSimulatedCatalog(): Promise<number> {
    let added = 0;
    for (const rb of allSimulatedReleaseBundles()) {
      await this.repo.transaction(async (db) => {
        let release = await this.repo.findShipped(db, rb.release.version);
        if (!release) {
          release = await this.repo.createRelease(db, {
            organizationId: null,
            version: rb.release.version,
            major: `2.${rb.release.major}`,
            channel: rb.release.channel,
            kubernetesMin: rb.release.kubernetesMin,
            kubernetesMax: rb.release.kubernetesMax,
            simulated: true,
            importedBy: 'meshfleet',
          });
          added++;
        }
        await this.repo.upsertBundle(db, release.id, rb.variant, {
          crdsYaml: rb.crds.yaml,
          crdsDigest: rb.crds.digest,
          controlPlaneYaml: rb.controlPlane.yaml,
          controlPlaneDigest: rb.controlPlane.digest,
        });
      });
    }
    for (const eb of allSimulatedExtensionBundles()) {
      await this.repo.transaction(async (db) => {
        const release = await this.repo.findShipped(db, eb.version);
        if (release)
          await this.repo.upsertExtension(db, release.id, eb.extension, {
            namespace: eb.namespace,
            yaml: eb.yaml,
            digest: eb.digest,
          });
      });
    }
    if (added) this.log.log(`simulated release catalog: ${added} release(s) added`);
    return added;
  }

  /** The extension bundle of a release as installs see it (the organization's import first). */
  async extensionBundle(
    organizationId: string,
    version: string,
    extension: string,
  ): Promise<{ release: ReleaseWithBundles; bundle: ExtensionBundle }> {
    const release = await this.get(organizationId, version);
    const bundle = await this.repo.transaction((db) => this.repo.findExtension(db, release.id, extension));
    if (!bundle) throw new NotFoundError(`Linkerd release ${version} extension`, extension);
    return { release, bundle };
  }

  /** One release per version: the organization's import shadows the shipped one (as installs do). */
  async list(organizationId: string): Promise<CatalogEntry[]> {
    const rows = await this.repo.visible(organizationId);
    const imported = new Set(rows.filter((r) => r.organizationId !== null).map((r) => r.version));
    const shipped = new Set(rows.filter((r) => r.organizationId === null).map((r) => r.version));
    return rows
      .filter((r) => r.organizationId !== null || !imported.has(r.version))
      .map((r) => ({ ...r, shadowsSimulated: r.organizationId !== null && shipped.has(r.version) }));
  }

  async get(organizationId: string, version: string): Promise<ReleaseWithBundles> {
    const r = await this.repo.find(organizationId, version);
    if (!r) throw new NotFoundError('Linkerd release', version);
    return r;
  }

  async bundle(
    organizationId: string,
    version: string,
    variant: Variant,
  ): Promise<{ release: ReleaseWithBundles; bundle: ReleaseBundle }> {
    const release = await this.get(organizationId, version);
    const bundle = release.bundles.find((b) => b.variant === variant);
    if (!bundle && release.organizationId !== null) {
      // The import shadows the simulated release of this version whole: no silent mix of the two.
      const flag = variant === 'ha' ? 'linkerd install --ha' : 'linkerd install';
      throw new FailedPreconditionError(
        `${version} was imported without its ${variant} variant, and the import replaces the simulated release of that version: ` +
          `import \`${flag}\` output for ${version} (importLinkerdRelease with variant: "${variant}") to install it`,
      );
    }
    if (!bundle) throw new NotFoundError(`Linkerd release ${version} variant`, variant);
    return { release, bundle };
  }

  /** Operator import of `linkerd install --crds` / `linkerd install` (or helm template) output. */
  async import(actor: Actor, input: ImportReleaseData): Promise<CatalogEntry> {
    const parsed = parseLinkerdVersion(input.version);
    if (!parsed || parsed.major === null)
      throw new ValidationError(
        `version "${input.version}" is not a Linkerd version Meshfleet can place in a major`,
        'version',
      );
    let rendered;
    try {
      rendered = importRenderedRelease(input);
    } catch (e) {
      if (e instanceof ReleaseImportError)
        throw new ValidationError(e.message, 'controlPlaneYaml', { reasons: e.reasons });
      throw e;
    }
    const range = kubernetesRangeFor(parsed.major);
    const major = `2.${parsed.major}`;
    const digests = { crdsDigest: rendered.crds.digest, controlPlaneDigest: rendered.controlPlane.digest };
    await this.repo.transaction(async (db) => {
      const own = await this.repo.findOwn(db, actor.organizationId, input.version);
      const stored = own ? await this.repo.findBundle(db, own.id, input.variant) : null;
      const decision = importDecision(stored, digests, input.replace === true);
      if (decision === 'unchanged') return;
      if (decision === 'conflict') {
        throw new ConflictError(
          `${input.version} (${input.variant}) is already imported with other manifests ` +
            `(control plane ${stored!.controlPlaneDigest.slice(0, 12)}, CRDs ${stored!.crdsDigest.slice(0, 12)}); ` +
            'import with replace: true (CLI: --replace) to replace them',
          { version: input.version, variant: input.variant, ...digests },
        );
      }
      const release =
        own ??
        (await this.repo.createRelease(db, {
          organizationId: actor.organizationId,
          version: input.version,
          major,
          channel: parsed.channel,
          kubernetesMin: range.kubernetesMin,
          kubernetesMax: range.kubernetesMax,
          simulated: false,
          importedBy: actor.actorName,
        }));
      await this.repo.upsertBundle(db, release.id, input.variant, {
        crdsYaml: rendered.crds.yaml,
        crdsDigest: rendered.crds.digest,
        controlPlaneYaml: rendered.controlPlane.yaml,
        controlPlaneDigest: rendered.controlPlane.digest,
      });
      await this.audit.recordActor(
        db,
        actor,
        decision === 'replace' ? 'linkerd-release.replace' : 'linkerd-release.import',
        { type: 'LinkerdRelease', id: release.id },
        {
          version: input.version,
          variant: input.variant,
          ...digests,
          ...(stored
            ? { previousCrdsDigest: stored.crdsDigest, previousControlPlaneDigest: stored.controlPlaneDigest }
            : {}),
        },
      );
    });
    const release = await this.get(actor.organizationId, input.version);
    return { ...release, shadowsSimulated: await this.repo.hasShipped(input.version) };
  }

  /**
   * Operator import of `linkerd viz install` / `linkerd multicluster install` (or helm) output for
   * a release the organization imported: an import replaces the simulated release of its version
   * whole, so the extension joins that import, never the shipped release.
   */
  async importExtension(
    actor: Actor,
    input: { version: string; extension: string; yaml: string; replace?: boolean },
  ): Promise<ExtensionBundle> {
    let rendered: RenderedExtension;
    try {
      rendered = importExtensionRender(input);
    } catch (e) {
      if (e instanceof ReleaseImportError)
        throw new ValidationError(e.message, 'yaml', { reasons: e.reasons });
      throw e;
    }
    return this.repo.transaction(async (db) => {
      const own = await this.repo.findOwn(db, actor.organizationId, rendered.version);
      if (!own)
        throw new FailedPreconditionError(
          `${rendered.version} is not imported by your organization: import its \`linkerd install\` output first ` +
            '(importLinkerdRelease); the extension bundle goes with those manifests',
          { reason: 'RELEASE_NOT_IMPORTED' },
        );
      const stored = await this.repo.findExtension(db, own.id, rendered.extension);
      if (stored?.digest === rendered.digest) return stored;
      if (stored && !input.replace)
        throw new ConflictError(
          `${rendered.extension} of ${rendered.version} is already imported with other manifests (${stored.digest.slice(0, 12)}); ` +
            'import with replace: true to replace them',
          { version: rendered.version, extension: rendered.extension, digest: rendered.digest },
        );
      const saved = await this.repo.upsertExtension(db, own.id, rendered.extension, {
        namespace: rendered.namespace,
        yaml: rendered.yaml,
        digest: rendered.digest,
      });
      await this.audit.recordActor(
        db,
        actor,
        stored ? 'linkerd-extension.replace' : 'linkerd-extension.import',
        { type: 'LinkerdRelease', id: own.id },
        {
          version: rendered.version,
          extension: rendered.extension,
          digest: rendered.digest,
          ...(stored ? { previousDigest: stored.digest } : {}),
        },
      );
      return saved;
    });
  }
}
