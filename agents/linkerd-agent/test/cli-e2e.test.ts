// The meshfleet CLI (apps/cli) end to end, as a separate process against the real API and worker
// and a real agent on a simulated cluster: login, clusters list, register, install followed live
// over graphql-ws to 100 % / SUCCEEDED, a rollout's per-wave status, alerts, --help with nothing
// configured, and a wrong key named as UNAUTHENTICATED.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startE2eFleet, type E2eFleet } from './e2e-fleet';
import { PLAIN_CLUSTER } from './lifecycle-fixture';
import { eventually } from './sim-fixture';

const CLI = resolve(__dirname, '../../../../apps/cli/dist/src/main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with only HOME and PATH from here (no MESHFLEET_* unless given). */
function meshfleet(home: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { HOME: home, PATH: process.env.PATH ?? '', ...env }, timeout: 180_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

describe('meshfleet CLI against a real API and agent', () => {
  let fleet: E2eFleet;
  let home: string;
  let adminKey: string;
  let domainId: string;

  before(async () => {
    fleet = await startE2eFleet([PLAIN_CLUSTER]);
    home = await mkdtemp(join(tmpdir(), 'meshfleet-cli-home-'));
    adminKey = fleet.adminKey;
    domainId = (await fleet.q(`mutation { createIdentityDomain(input: { name: "cli" }) { id } }`)).data!
      .createIdentityDomain.id;
  });
  after(async () => {
    await fleet?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('prints help with no configuration, no network and no database', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'meshfleet-cli-empty-'));
    const top = await meshfleet(empty, ['--help'], { MESHFLEET_API_URL: 'http://127.0.0.1:1' });
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /meshfleet <command>/);
    assert.match(top.stdout, /rollout status/);
    const sub = await meshfleet(empty, ['install', '--help']);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /--identity-domain/);
    const none = await meshfleet(empty, ['clusters', 'list']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /Not logged in.*\(NOT_LOGGED_IN\)/);
    const unknown = await meshfleet(empty, ['frobnicate']);
    assert.equal(unknown.code, 2);
    await rm(empty, { recursive: true, force: true });
  });

  it('names the GraphQL error code for a wrong key and stores nothing', async () => {
    const r = await meshfleet(home, [
      'login',
      '--api-url',
      fleet.api.url,
      '--api-key',
      'mfk_wrong_0123456789abcdef',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^meshfleet: .+\(UNAUTHENTICATED\)\n$/);
    await assert.rejects(stat(join(home, '.config/meshfleet/config.json')), /ENOENT/);
    const viaEnv = await meshfleet(home, ['clusters', 'list'], {
      MESHFLEET_API_URL: fleet.api.url,
      MESHFLEET_API_KEY: 'mfk_wrong_0123456789abcdef',
    });
    assert.equal(viaEnv.code, 1);
    assert.match(viaEnv.stderr, /\(UNAUTHENTICATED\)/);
  });

  it('logs in once and stores URL and key for this user only (0600)', async () => {
    const r = await meshfleet(home, ['login', '--api-url', fleet.api.url, '--api-key', adminKey]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Logged in to .* as .* \((OWNER|ADMIN)\) in /);
    const path = join(home, '.config/meshfleet/config.json');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { apiUrl: fleet.api.url, apiKey: adminKey });
  });

  it('lists clusters as a table and as JSON', async () => {
    const t = await meshfleet(home, ['clusters', 'list']);
    assert.equal(t.code, 0, t.stderr);
    const lines = t.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+ID\s+PROVIDER\s+REGION\s+STATUS\s+HEALTH\s+LINKERD\s+AGENT$/);
    const plainId = fleet.member('plain').clusterId;
    assert.ok(
      lines.some(
        (l) => l.startsWith('plain ') && l.includes(plainId) && /CONNECTED/.test(l) && /connected$/.test(l),
      ),
      t.stdout,
    );
    const j = await meshfleet(home, ['clusters', 'list', '-o', 'json']);
    assert.equal(j.code, 0, j.stderr);
    const parsed = JSON.parse(j.stdout);
    assert.equal(parsed.totalCount, 1);
    assert.equal(parsed.clusters[0].id, plainId);
    assert.equal(parsed.clusters[0].agent.connected, true);
  });

  it('registers a cluster and prints how to install its agent', async () => {
    const r = await meshfleet(home, [
      'cluster',
      'register',
      '--name',
      'cli-new',
      '--provider',
      'gke',
      '--label',
      'env=dev',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Registered cli-new/);
    // The manifest for kubectl apply, or the helm command when the API offers one.
    assert.match(r.stdout, /helm (upgrade --install|install)|kind: (Deployment|Secret)/);
    assert.match(r.stdout, /mfbt_|token/i);
    const j = await meshfleet(home, [
      'cluster',
      'register',
      '--name',
      'cli-json',
      '--provider',
      'AKS',
      '-o',
      'json',
    ]);
    assert.equal(j.code, 0, j.stderr);
    const p = JSON.parse(j.stdout);
    assert.equal(p.cluster.name, 'cli-json');
    assert.ok(p.bootstrapToken.token.length > 10);
    assert.ok(
      p.agentManifest.includes(p.bootstrapToken.token) ||
        (p.helmCommand ?? '').includes(p.bootstrapToken.token),
    );
    const dup = await meshfleet(home, ['cluster', 'register', '--name', 'cli-json', '--provider', 'AKS']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /\((CONFLICT|BAD_USER_INPUT)\)/);
  });

  it('installs Linkerd and follows the operation live to 100 % SUCCEEDED', async () => {
    const domains = await meshfleet(home, ['identity-domains']);
    assert.match(domains.stdout, new RegExp(`^cli\\s+${domainId}\\s+MANAGED`, 'm'));
    const r = await meshfleet(home, [
      'install',
      'plain',
      '--version',
      'enterprise-2.19.0',
      '--identity-domain',
      domainId,
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const progress = r.stderr.split('\n').filter((l) => /\]\s+\d+%/.test(l));
    const percents = progress.map((l) => Number(/(\d+)%/.exec(l)![1]));
    assert.ok(new Set(percents).size >= 3, `progress moved through several values: ${percents.join(',')}`);
    assert.deepEqual(
      [...percents].sort((a, b) => a - b),
      percents,
      'progress never goes back',
    );
    assert.match(r.stdout, /\[#{30}\] 100% INSTALL SUCCEEDED/);
    assert.ok(
      progress.some((l) => /control-plane/.test(l)),
      'the steps show as they run',
    );
    // The agent reports as soon as it has delivered the result: the API shows the install
    // within a report's build, not after the spacing of change reports.
    const linkerd = await eventually(
      async () =>
        (
          await fleet.q(`query($id: ID!) { cluster(id: $id) { linkerd { installed version } } }`, {
            id: fleet.member('plain').clusterId,
          })
        ).data!.cluster.linkerd,
      (l) => l?.installed === true,
      3_000,
      'the report after the install',
    );
    assert.deepEqual(linkerd, { installed: true, version: 'enterprise-2.19.0' });
  });

  it('upgrades and prints the finished operation as JSON', async () => {
    const r = await meshfleet(home, ['upgrade', 'plain', '--version', 'enterprise-2.19.1', '-o', 'json']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const op = JSON.parse(r.stdout);
    assert.equal(op.kind, 'UPGRADE');
    assert.equal(op.status, 'SUCCEEDED');
    assert.ok(op.steps.some((s: { step: string }) => s.step === 'postcheck'));
    const refused = await meshfleet(home, ['upgrade', 'plain', '--version', 'enterprise-9.9.9']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /^meshfleet: .+\([A-Z_]+\)\n$/);
  });

  it('starts a rollout and shows its per-wave progress until it ends', async () => {
    const start = await meshfleet(home, [
      'rollout',
      'start',
      '--version',
      'enterprise-2.20.0',
      '--name',
      'cli-rollout',
      '--canary-count',
      '1',
      '--health-gate-seconds',
      '1',
      '-o',
      'json',
    ]);
    assert.equal(start.code, 0, start.stderr);
    const rollout = JSON.parse(start.stdout);
    assert.equal(rollout.targetVersion, 'enterprise-2.20.0');
    assert.ok(rollout.waves.length >= 1);
    const status = await meshfleet(home, ['rollout', 'status', rollout.id, '--follow']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      new RegExp(`Rollout cli-rollout \\(${rollout.id}\\) to enterprise-2.20.0: SUCCEEDED`),
    );
    assert.match(status.stdout, /wave 0 \(canary\)\s+\[#{20}\]\s+100%\s+1\/1 done/);
    assert.match(status.stdout, /^0\s+plain\s+DONE/m);
    const json = JSON.parse((await meshfleet(home, ['rollout', 'status', rollout.id, '-o', 'json'])).stdout);
    assert.equal(json.status, 'SUCCEEDED');
    assert.deepEqual(json.waves[0], { wave: 0, total: 1, done: 1, failed: 0, progress: 1 });
  });

  it('lists alerts as a table and as JSON', async () => {
    const t = await meshfleet(home, ['alerts']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^SEVERITY\s+STATUS\s+KIND\s+SUBJECT\s+SINCE\s+SUMMARY/);
    const j = await meshfleet(home, ['alerts', '-o', 'json', '--status', 'firing']);
    assert.equal(j.code, 0, j.stderr);
    const parsed = JSON.parse(j.stdout);
    assert.equal(typeof parsed.totalCount, 'number');
    assert.ok(parsed.alerts.every((a: { status: string }) => a.status === 'FIRING'));
    const bad = await meshfleet(home, ['alerts', '--status', 'NOPE']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /\((BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED)\)/);
  });
});
