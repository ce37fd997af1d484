import { CliError, request, subscribe, type Connection, type Data } from './api';
import { bar, ProgressLine, table } from './output';
import { store } from './settings';

export type Flags = Record<string, string | boolean | string[] | undefined>;
export interface Ctx {
  conn: Connection;
  flags: Flags;
  args: string[];
  json: boolean;
  out: (s: string) => void;
}

const str = (f: Flags, name: string): string | undefined => {
  const v = f[name];
  return typeof v === 'string' ? v : undefined;
};
const need = (f: Flags, name: string): string => {
  const v = str(f, name);
  if (!v) throw new CliError(`--${name} is required`, 'USAGE', 2);
  return v;
};
const int = (f: Flags, name: string): number | undefined => {
  const v = str(f, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new CliError(`--${name} must be a whole number`, 'USAGE', 2);
  return Number(v);
};
const printJson = (ctx: Ctx, v: unknown) => ctx.out(`${JSON.stringify(v, null, 2)}\n`);

export async function login(ctx: Ctx): Promise<void> {
  const data = await request(ctx.conn, '{ viewer { actorName kind role organization { id name } } }');
  const path = await store(ctx.conn);
  if (ctx.json) return printJson(ctx, { ...data.viewer, apiUrl: ctx.conn.apiUrl, configPath: path });
  const v = data.viewer;
  ctx.out(
    `Logged in to ${ctx.conn.apiUrl} as ${v.actorName} (${v.role}) in ${v.organization.name}; saved to ${path}\n`,
  );
}

const CLUSTER_FIELDS = `id name provider region status labels
  agent { connected version } health { status } linkerd { installed version }`;

export async function clustersList(ctx: Ctx): Promise<void> {
  const filter: Record<string, unknown> = {};
  if (str(ctx.flags, 'selector')) filter.labelSelector = str(ctx.flags, 'selector');
  if (str(ctx.flags, 'provider')) filter.provider = str(ctx.flags, 'provider')!.toUpperCase();
  if (str(ctx.flags, 'search')) filter.search = str(ctx.flags, 'search');
  const first = int(ctx.flags, 'first') ?? 100;
  const data = await request(
    ctx.conn,
    `query($f: ClusterFilter, $first: Int) { clusters(filter: $f, first: $first) { totalCount edges { node { ${CLUSTER_FIELDS} } } } }`,
    { f: filter, first },
  );
  const nodes = data.clusters.edges.map((e: { node: unknown }) => e.node) as Data[];
  if (ctx.json) return printJson(ctx, { totalCount: data.clusters.totalCount, clusters: nodes });
  ctx.out(
    table(
      ['NAME', 'ID', 'PROVIDER', 'REGION', 'STATUS', 'HEALTH', 'LINKERD', 'AGENT'],
      nodes.map((c) => [
        c.name,
        c.id,
        c.provider,
        c.region,
        c.status,
        c.health?.status,
        c.linkerd?.installed ? c.linkerd.version : 'none',
        c.agent.connected ? 'connected' : 'offline',
      ]),
    ),
  );
  if (data.clusters.totalCount > nodes.length)
    ctx.out(`(${nodes.length} of ${data.clusters.totalCount}; --first N shows more)\n`);
}

/** A cluster id, or the exact name of one cluster. */
async function clusterId(ctx: Ctx, ref: string | undefined): Promise<{ id: string; name: string }> {
  if (!ref) throw new CliError('Name the cluster (its id or name)', 'USAGE', 2);
  const data = await request(
    ctx.conn,
    `query($s: String) { clusters(filter: { search: $s }, first: 100) { edges { node { id name } } } }`,
    { s: ref },
  );
  const nodes = data.clusters.edges.map((e: Data) => e.node) as Array<{ id: string; name: string }>;
  const byName = nodes.find((n) => n.name === ref);
  if (byName) return byName;
  try {
    const one = await request(ctx.conn, `query($id: ID!) { cluster(id: $id) { id name } }`, { id: ref });
    return one.cluster;
  } catch (e) {
    if (e instanceof CliError && (e.code === 'NOT_FOUND' || e.code === 'BAD_USER_INPUT'))
      throw new CliError(`No cluster named or with id ${JSON.stringify(ref)}`, 'NOT_FOUND');
    throw e;
  }
}

export async function clusterRegister(ctx: Ctx): Promise<void> {
  const labels: Record<string, string> = {};
  for (const l of (ctx.flags.label as string[] | undefined) ?? []) {
    const i = l.indexOf('=');
    if (i < 1) throw new CliError(`--label ${l}: expected key=value`, 'USAGE', 2);
    labels[l.slice(0, i)] = l.slice(i + 1);
  }
  const input: Record<string, unknown> = {
    name: need(ctx.flags, 'name'),
    provider: need(ctx.flags, 'provider').toUpperCase(),
    labels,
  };
  if (str(ctx.flags, 'region')) input.region = str(ctx.flags, 'region');
  if (str(ctx.flags, 'mode')) input.mode = str(ctx.flags, 'mode')!.toUpperCase();
  const base = `cluster { id name provider region status } bootstrapToken { token expiresAt } agentManifest`;
  const mutation = (fields: string) =>
    `mutation($input: RegisterClusterInput!) { registerCluster(input: $input) { ${fields} } }`;
  let data;
  try {
    data = await request(ctx.conn, mutation(`${base} helmCommand`), { input });
  } catch (e) {
    // An API without helm support: the query does not validate, so nothing was registered.
    if (!(e instanceof CliError && e.code === 'GRAPHQL_VALIDATION_FAILED' && /helmCommand/.test(e.message)))
      throw e;
    data = await request(ctx.conn, mutation(base), { input });
  }
  const p = data.registerCluster;
  if (ctx.json) return printJson(ctx, p);
  process.stderr.write(
    `Registered ${p.cluster.name} (${p.cluster.id}); bootstrap token valid until ${p.bootstrapToken.expiresAt}\n`,
  );
  if (p.helmCommand) {
    process.stderr.write('Install the agent with:\n');
    ctx.out(`${p.helmCommand}\n`);
  } else {
    process.stderr.write(
      'Apply the agent manifest below with: meshfleet cluster register ... | kubectl apply -f -\n',
    );
    ctx.out(p.agentManifest.endsWith('\n') ? p.agentManifest : `${p.agentManifest}\n`);
  }
}

const OP_FIELDS = `id kind status clusterId attempt error createdAt startedAt finishedAt
  steps { step status message at }`;
const TERMINAL_OP = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);
/** The steps the agent reports for each kind, in order (progress is steps finished of these). */
const EXPECTED_STEPS: Record<string, number> = {
  INSTALL: 9, // precheck crds crds-established issuer identity control-plane rollout data-plane-restart postcheck
  UPGRADE: 9,
  UNINSTALL: 3,
};

interface Op {
  id: string;
  kind: string;
  status: string;
  error: { code?: string; message?: string } | null;
  steps: Array<{ step: string; status: string; message: string }>;
}

function opProgress(op: Op): number {
  if (op.status === 'SUCCEEDED') return 1;
  const finished = new Set(
    op.steps.filter((s) => /^(succeeded|skipped|failed)$/i.test(s.status)).map((s) => s.step),
  );
  const all = new Set(op.steps.map((s) => s.step));
  const total = Math.max(EXPECTED_STEPS[op.kind] ?? all.size + 1, all.size + 1);
  return Math.min(finished.size / total, 0.99);
}

/** `floor`: the bar never goes back when a step the estimate did not count shows up. */
function opLine(op: Op, floor = 0): string {
  const step = op.steps[op.steps.length - 1];
  const doing = step ? ` ${step.step} (${step.status.toLowerCase()})` : '';
  return `${bar(Math.max(floor, opProgress(op)))} ${op.kind} ${op.status}${TERMINAL_OP.has(op.status) ? '' : doing}`;
}

/** Follows an operation over operationUpdated until it ends; exit code 0 only for SUCCEEDED. */
export async function followOperation(ctx: Ctx, first: Op): Promise<void> {
  const progress = new ProgressLine();
  let latest = first;
  let floor = 0;
  let failure: CliError | undefined;
  if (!TERMINAL_OP.has(first.status) && !ctx.flags.detach) {
    await new Promise<void>((resolve) => {
      const seen = (op: Op) => {
        latest = op;
        progress.update(opLine(op, floor));
        floor = Math.max(floor, opProgress(op));
        if (TERMINAL_OP.has(op.status)) {
          sub.stop();
          clearInterval(poll);
          resolve();
        }
      };
      const sub = subscribe<{ operationUpdated: Op }>(
        ctx.conn,
        `subscription($id: ID!) { operationUpdated(operationId: $id) { ${OP_FIELDS} } }`,
        { id: first.id },
        (d) => seen(d.operationUpdated),
        (e) => {
          failure = e;
          sub.stop();
          clearInterval(poll);
          resolve();
        },
      );
      // Once subscribed, read the operation again: a change made before the subscription started
      // would otherwise never be seen. A slow poll also covers a dropped connection.
      const reread = () =>
        request<{ operation: Op }>(ctx.conn, `query($id: ID!) { operation(id: $id) { ${OP_FIELDS} } }`, {
          id: first.id,
        }).then(
          (d) => seen(d.operation),
          () => {},
        );
      void sub.connected.then(reread);
      const poll = setInterval(reread, 15_000);
      seen(first);
    });
    progress.done();
  }
  if (failure) throw failure;
  if (ctx.json) printJson(ctx, latest);
  else if (TERMINAL_OP.has(latest.status) || !ctx.flags.detach) {
    ctx.out(`${opLine(latest)}\n`);
    if (latest.error) ctx.out(`error: ${latest.error.code ?? ''} ${latest.error.message ?? ''}\n`);
  } else ctx.out(`operation ${latest.id} ${latest.status} (follow it: meshfleet operation ${latest.id})\n`);
  if (TERMINAL_OP.has(latest.status) && latest.status !== 'SUCCEEDED')
    throw new CliError(
      `Operation ${latest.id} ended ${latest.status}${latest.error?.message ? `: ${latest.error.message}` : ''}`,
      latest.error?.code ?? latest.status,
    );
}

export async function install(ctx: Ctx): Promise<void> {
  const c = await clusterId(ctx, ctx.args[0]);
  const input: Record<string, unknown> = {
    version: need(ctx.flags, 'version'),
    identityDomainId: need(ctx.flags, 'identity-domain'),
  };
  if (ctx.flags.ha) input.highAvailability = true;
  const data = await request(
    ctx.conn,
    `mutation($c: ID!, $input: InstallLinkerdInput!) { installLinkerd(clusterId: $c, input: $input) { ${OP_FIELDS} } }`,
    { c: c.id, input },
  );
  if (!ctx.json) process.stderr.write(`Installing Linkerd ${input.version} on ${c.name}\n`);
  await followOperation(ctx, data.installLinkerd);
}

export async function upgrade(ctx: Ctx): Promise<void> {
  const c = await clusterId(ctx, ctx.args[0]);
  const input: Record<string, unknown> = { version: need(ctx.flags, 'version') };
  if (ctx.flags['restart-data-plane']) input.restartDataPlane = true;
  if (ctx.flags['allow-downgrade']) input.allowDowngrade = true;
  const data = await request(
    ctx.conn,
    `mutation($c: ID!, $input: UpgradeLinkerdInput!) { upgradeLinkerd(clusterId: $c, input: $input) { ${OP_FIELDS} } }`,
    { c: c.id, input },
  );
  if (!ctx.json) process.stderr.write(`Upgrading ${c.name} to Linkerd ${input.version}\n`);
  await followOperation(ctx, data.upgradeLinkerd);
}

export async function operation(ctx: Ctx): Promise<void> {
  const id = ctx.args[0];
  if (!id) throw new CliError('Name the operation id', 'USAGE', 2);
  const data = await request(ctx.conn, `query($id: ID!) { operation(id: $id) { ${OP_FIELDS} } }`, { id });
  await followOperation(ctx, data.operation);
}

const ROLLOUT_FIELDS = `id name status targetVersion currentWave pausedReason createdAt finishedAt
  targets { clusterId clusterName wave status reason operationId }`;
const TERMINAL_ROLLOUT = new Set(['SUCCEEDED', 'FAILED', 'ABORTED', 'ROLLED_BACK']);
const TARGET_DONE = new Set(['DONE', 'SKIPPED', 'FAILED', 'ROLLED_BACK']);

interface Rollout {
  id: string;
  name: string;
  status: string;
  targetVersion: string;
  currentWave: number;
  pausedReason: string | null;
  targets: Array<{
    clusterId: string;
    clusterName: string;
    wave: number;
    status: string;
    reason: string | null;
  }>;
}

function waves(r: Rollout) {
  const by = new Map<number, Rollout['targets']>();
  for (const t of r.targets) by.set(t.wave, [...(by.get(t.wave) ?? []), t]);
  return [...by.entries()]
    .sort(([a], [b]) => a - b)
    .map(([wave, targets]) => {
      const done = targets.filter((t) => TARGET_DONE.has(t.status)).length;
      const failed = targets.filter((t) => t.status === 'FAILED' || t.status === 'ROLLED_BACK').length;
      return {
        wave,
        total: targets.length,
        done,
        failed,
        progress: targets.length ? done / targets.length : 1,
      };
    });
}

function rolloutText(r: Rollout): string {
  const head = `Rollout ${r.name} (${r.id}) to ${r.targetVersion}: ${r.status}${r.pausedReason ? ` (${r.pausedReason})` : ''}\n`;
  const w = waves(r)
    .map(
      (x) =>
        `  wave ${x.wave}${x.wave === 0 ? ' (canary)' : ''}  ${bar(x.progress, 20)}  ${x.done}/${x.total} done${x.failed ? `, ${x.failed} failed` : ''}`,
    )
    .join('\n');
  return `${head}${w}\n`;
}

function printRollout(ctx: Ctx, r: Rollout): void {
  if (ctx.json) return printJson(ctx, { ...r, waves: waves(r) });
  ctx.out(rolloutText(r));
  ctx.out(
    table(
      ['WAVE', 'CLUSTER', 'STATUS', 'REASON'],
      [...r.targets].sort((a, b) => a.wave - b.wave).map((t) => [t.wave, t.clusterName, t.status, t.reason]),
    ),
  );
}

async function followRollout(ctx: Ctx, first: Rollout): Promise<Rollout> {
  if (TERMINAL_ROLLOUT.has(first.status)) return first;
  const progress = new ProgressLine();
  let latest = first;
  let failure: CliError | undefined;
  await new Promise<void>((resolve) => {
    const seen = (r: Rollout) => {
      latest = r;
      const summary = waves(r)
        .map((x) => `w${x.wave} ${x.done}/${x.total}`)
        .join('  ');
      progress.update(`${r.status}  ${summary}`);
      if (TERMINAL_ROLLOUT.has(r.status)) {
        sub.stop();
        resolve();
      }
    };
    const sub = subscribe<{ rolloutUpdated: Rollout }>(
      ctx.conn,
      `subscription($id: ID!) { rolloutUpdated(id: $id) { ${ROLLOUT_FIELDS} } }`,
      { id: first.id },
      (d) => seen(d.rolloutUpdated),
      (e) => {
        failure = e;
        sub.stop();
        resolve();
      },
    );
    void sub.connected.then(() =>
      request<{ rollout: Rollout }>(ctx.conn, `query($id: ID!) { rollout(id: $id) { ${ROLLOUT_FIELDS} } }`, {
        id: first.id,
      }).then(
        (d) => seen(d.rollout),
        () => {},
      ),
    );
    seen(first);
  });
  progress.done();
  if (failure) throw failure;
  return latest;
}

export async function rolloutStart(ctx: Ctx): Promise<void> {
  const input: Record<string, unknown> = { targetVersion: need(ctx.flags, 'version') };
  if (str(ctx.flags, 'name')) input.name = str(ctx.flags, 'name');
  if (str(ctx.flags, 'selector')) input.selector = { labelSelector: str(ctx.flags, 'selector') };
  const strategy: Record<string, unknown> = {};
  for (const [flag, field] of [
    ['canary-count', 'canaryCount'],
    ['health-gate-seconds', 'healthGateSeconds'],
    ['max-failures', 'maxFailures'],
  ] as const) {
    const v = int(ctx.flags, flag);
    if (v !== undefined) strategy[field] = v;
  }
  if (Object.keys(strategy).length) input.strategy = strategy;
  const data = await request(
    ctx.conn,
    `mutation($input: RolloutInput!) { startRollout(input: $input) { ${ROLLOUT_FIELDS} } }`,
    { input },
  );
  const r = ctx.flags.follow ? await followRollout(ctx, data.startRollout) : data.startRollout;
  printRollout(ctx, r);
  if (TERMINAL_ROLLOUT.has(r.status) && r.status !== 'SUCCEEDED')
    throw new CliError(`Rollout ${r.id} ended ${r.status}`, r.status);
}

export async function rolloutStatus(ctx: Ctx): Promise<void> {
  const id = ctx.args[0];
  if (!id) throw new CliError('Name the rollout id', 'USAGE', 2);
  const data = await request(ctx.conn, `query($id: ID!) { rollout(id: $id) { ${ROLLOUT_FIELDS} } }`, { id });
  const r = ctx.flags.follow ? await followRollout(ctx, data.rollout) : data.rollout;
  printRollout(ctx, r);
}

export async function alerts(ctx: Ctx): Promise<void> {
  const filter: Record<string, unknown> = {};
  if (str(ctx.flags, 'status')) filter.status = str(ctx.flags, 'status')!.toUpperCase();
  if (str(ctx.flags, 'cluster')) filter.clusterId = (await clusterId(ctx, str(ctx.flags, 'cluster'))).id;
  const data = await request(
    ctx.conn,
    `query($f: AlertFilter, $first: Int) { alerts(filter: $f, first: $first) { totalCount
      edges { node { id kind severity status subject summary clusterId firstFiredAt lastSeenAt } } } }`,
    { f: filter, first: int(ctx.flags, 'first') ?? 100 },
  );
  const nodes = data.alerts.edges.map((e: Data) => e.node) as Data[];
  if (ctx.json) return printJson(ctx, { totalCount: data.alerts.totalCount, alerts: nodes });
  ctx.out(
    table(
      ['SEVERITY', 'STATUS', 'KIND', 'SUBJECT', 'SINCE', 'SUMMARY'],
      nodes.map((a) => [a.severity, a.status, a.kind, a.subject, a.firstFiredAt, a.summary]),
    ),
  );
}

export async function identityDomains(ctx: Ctx): Promise<void> {
  const data = await request(ctx.conn, '{ identityDomains { id name mode trustDomain createdAt } }');
  const rows = data.identityDomains as Data[];
  if (ctx.json) return printJson(ctx, rows);
  ctx.out(
    table(
      ['NAME', 'ID', 'MODE', 'TRUST DOMAIN'],
      rows.map((d) => [d.name, d.id, d.mode, d.trustDomain]),
    ),
  );
}

const GITOPS_FORMATS: Record<string, string> = {
  argocd: 'ARGOCD',
  'argocd-applicationset': 'ARGOCD_APPLICATIONSET',
  flux: 'FLUX',
};

/** gitops export: the API's Git-ready tree, written under --out (paths may not leave it). */
export async function gitopsExport(ctx: Ctx): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { dirname, isAbsolute, relative, resolve } = await import('node:path');
  const formatFlag = need(ctx.flags, 'format');
  const format = GITOPS_FORMATS[formatFlag.toLowerCase()];
  if (!format)
    throw new CliError(
      `--format must be one of ${Object.keys(GITOPS_FORMATS).join(', ')} (got ${JSON.stringify(formatFlag)})`,
      'USAGE',
      2,
    );
  const outDir = resolve(need(ctx.flags, 'out'));
  const ref = str(ctx.flags, 'cluster');
  const selector = str(ctx.flags, 'selector');
  if (!!ref === !!selector) throw new CliError('Give --cluster or --selector (one of them)', 'USAGE', 2);
  const vars: Record<string, unknown> = { f: format };
  if (ref) vars.c = (await clusterId(ctx, ref)).id;
  else vars.s = { labelSelector: selector };
  const data = await request(
    ctx.conn,
    `query($f: GitopsFormat!, $c: ID, $s: GitopsSelectorInput) { gitopsExport(format: $f, clusterId: $c, selector: $s) {
      files { path content } warnings clusters { name version } skipped { clusterName code reason } } }`,
    vars,
  );
  const tree = data.gitopsExport as {
    files: { path: string; content: string }[];
    warnings: string[];
    clusters: { name: string; version: string }[];
    skipped: { clusterName: string; code: string; reason: string }[];
  };
  const targets = tree.files.map((f) => {
    const target = resolve(outDir, f.path);
    const rel = relative(outDir, target);
    if (isAbsolute(f.path) || rel.startsWith('..') || isAbsolute(rel))
      throw new CliError(`Refusing to write ${JSON.stringify(f.path)} outside ${outDir}`, 'UNSAFE_PATH');
    return { target, content: f.content };
  });
  for (const t of targets) {
    await mkdir(dirname(t.target), { recursive: true });
    await writeFile(t.target, t.content);
  }
  if (ctx.json)
    return printJson(ctx, {
      out: outDir,
      files: tree.files.map((f) => f.path),
      clusters: tree.clusters,
      warnings: tree.warnings,
      skipped: tree.skipped,
    });
  ctx.out(
    `Wrote ${targets.length} files to ${outDir} for ${tree.clusters.map((c) => `${c.name} (${c.version})`).join(', ')}\n`,
  );
  for (const s of tree.skipped) ctx.out(`skipped ${s.clusterName}: ${s.reason} (${s.code})\n`);
  for (const w of tree.warnings) ctx.out(`warning: ${w}\n`);
}
