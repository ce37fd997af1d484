import { Injectable, Logger } from '@nestjs/common';
import {
  allSimulatedReleaseBundles,
  importRenderedRelease,
  kubernetesRangeFor,
  parseLinkerdVersion,
  ReleaseImportError,
} from '@meshfleet/linkerd';
import { NotFoundError, ValidationError } from '@meshfleet/core';
import { Actor } from '@meshfleet/auth';
import { AuditService } from '@meshfleet/audit';
import { ReleaseBundle } from '@meshfleet/db';
import { CatalogRepository, ReleaseWithBundles } from './catalog.repository';

export type Variant = 'default' | 'ha';

export interface ImportReleaseData {
  version: string;
  variant: Variant;
  crdsYaml: string;
  controlPlaneYaml: string;
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
    if (added) this.log.log(`simulated release catalog: ${added} release(s) added`);
    return added;
  }

  list(organizationId: string): Promise<ReleaseWithBundles[]> {
    return this.repo.visible(organizationId);
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
    if (!bundle) throw new NotFoundError(`Linkerd release ${version} variant`, variant);
    return { release, bundle };
  }

  /** Operator import of `linkerd install --crds` / `linkerd install` (or helm template) output. */
  async import(actor: Actor, input: ImportReleaseData): Promise<ReleaseWithBundles> {
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
    await this.repo.transaction(async (db) => {
      const release =
        (await this.repo.findOwn(db, actor.organizationId, input.version)) ??
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
        'linkerd-release.import',
        { type: 'LinkerdRelease', id: release.id },
        {
          version: input.version,
          variant: input.variant,
          crdsDigest: rendered.crds.digest,
          controlPlaneDigest: rendered.controlPlane.digest,
        },
      );
    });
    return this.get(actor.organizationId, input.version);
  }
}
