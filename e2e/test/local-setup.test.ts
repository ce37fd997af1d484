// The files a new user starts from agree with each other: docker-compose.yml, .env.example, the
// README and the built-in defaults name the same Postgres and Redis (credentials, database,
// ports), and `npm start` reads a .env file, the real environment winning over it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  createTestDatabase,
  freePort,
  gql,
  REPO_ROOT,
  testRedisUrl,
  uniqueRedisPrefix,
  type TestDatabase,
} from '@meshfleet/testing';

const read = (file: string) => readFile(join(REPO_ROOT, file), 'utf8');

function envFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** The host port a compose service publishes for `containerPort`. */
function published(service: any, containerPort: number): number {
  for (const p of service.ports ?? []) {
    const parts = String(p).split(':');
    if (Number(parts.at(-1)) === containerPort) return Number(parts.at(-2));
  }
  assert.fail(`no published port for ${containerPort}`);
}

describe('docker-compose.yml, .env.example, the README and the defaults agree', () => {
  it('Postgres: the same user, password (none), database and port everywhere', async () => {
    const compose = parse(await read('docker-compose.yml'));
    const pg = compose.services.postgres;
    const user = pg.environment.POSTGRES_USER;
    const password = pg.environment.POSTGRES_PASSWORD ?? '';
    const database = pg.environment.POSTGRES_DB;
    if (!password)
      assert.equal(
        pg.environment.POSTGRES_HOST_AUTH_METHOD,
        'trust',
        'a server without a password must trust',
      );
    assert.match(pg.healthcheck.test.join(' '), new RegExp(`-U ${user} -d ${database}`));

    // The services inside compose reach the postgres service with those credentials.
    for (const name of ['migrate', 'api', 'worker']) {
      const u = new URL(compose.services[name].environment.DATABASE_URL);
      assert.equal(decodeURIComponent(u.username), user, `${name}: user`);
      assert.equal(decodeURIComponent(u.password), password, `${name}: password`);
      assert.equal(u.hostname, 'postgres', `${name}: host`);
      assert.equal(u.port || '5432', '5432', `${name}: port`);
      assert.equal(u.pathname, `/${database}`, `${name}: database`);
    }

    // Outside compose: .env.example, the README, the Prisma CLI default and the demo reach the
    // published port with the same credentials.
    const port = published(pg, 5432);
    const example = envFile(await read('.env.example'));
    const readme = await read('README.md');
    const readmeUrl = /export DATABASE_URL=(\S+)/.exec(readme)?.[1];
    const prismaDefault = /DATABASE_URL \?\? '([^']+)'/.exec(await read('prisma.config.ts'))?.[1];
    const demoDefault = /LOCAL_POSTGRES_URL = '([^']+)'/.exec(await read('scripts/demo-services.mjs'))?.[1];
    const urls: Record<string, string | undefined> = {
      '.env.example': example['DATABASE_URL'],
      README: readmeUrl,
      'prisma.config.ts': prismaDefault,
      'scripts/demo-services.mjs': demoDefault,
    };
    for (const [where, raw] of Object.entries(urls)) {
      assert.ok(raw, `${where}: no DATABASE_URL found`);
      const u = new URL(raw);
      assert.equal(decodeURIComponent(u.username), user, `${where}: user`);
      assert.equal(decodeURIComponent(u.password), password, `${where}: password`);
      assert.ok(['127.0.0.1', 'localhost'].includes(u.hostname), `${where}: host ${u.hostname}`);
      assert.equal(Number(u.port || 5432), port, `${where}: port`);
    }
    // Those that name the database name the compose one (the demo keeps its own, created on demand).
    for (const where of ['.env.example', 'README', 'prisma.config.ts'])
      assert.equal(new URL(urls[where]!).pathname, `/${database}`, `${where}: database`);
  });

  it('Redis and the admin key: the same in compose, .env.example, the README and the defaults', async () => {
    const compose = parse(await read('docker-compose.yml'));
    const port = published(compose.services.redis, 6379);
    const example = envFile(await read('.env.example'));
    assert.equal(Number(new URL(example['REDIS_URL']!).port || 6379), port);
    assert.equal(new URL(compose.services.api.environment.REDIS_URL).hostname, 'redis');
    const readme = await read('README.md');
    const key = compose.services.api.environment.MESHFLEET_BOOTSTRAP_ADMIN_KEY;
    assert.equal(compose.services['fleet-sim'].environment.MESHFLEET_ADMIN_KEY, key);
    assert.ok(readme.includes(`admin key \`${key}\``), 'the README names the compose admin key');
    // Every setting .env.example lists is one the configuration knows (no stale names).
    const schema = await read('libs/config/src/config.schema.ts');
    for (const name of Object.keys(example))
      assert.ok(schema.includes(`${name}:`), `${name} is not a setting`);
  });
});

describe('npm start reads .env; the real environment wins', () => {
  let db: TestDatabase;
  let dir: string;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'mf-envfile-'));
  });
  after(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('settings missing from the environment come from ./.env, PORT from the environment overrides the file', async () => {
    const [filePort, realPort] = [await freePort(), await freePort()];
    const key = `mfk_envfile_${Date.now()}_0123456789abcdef`;
    await writeFile(
      join(dir, '.env'),
      [
        '# as copied from .env.example and edited',
        `DATABASE_URL=${db.url}`,
        `REDIS_URL=${testRedisUrl()}`,
        `MESHFLEET_REDIS_PREFIX=${uniqueRedisPrefix()}`,
        `PORT=${filePort}`,
        'HOST=127.0.0.1',
        `MESHFLEET_BOOTSTRAP_ADMIN_KEY=${key}`,
        'LOG_LEVEL=warn',
        'MESHFLEET_OIDC_ISSUER=',
        '',
      ].join('\n'),
    );
    // Nothing of the test runner's environment but PATH: the file must supply the rest.
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts/start.mjs')], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', PORT: String(realPort) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const url = `http://127.0.0.1:${realPort}`;
      const deadline = Date.now() + 90_000;
      for (;;) {
        const ok = await fetch(`${url}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        assert.equal(child.exitCode, null, 'npm start exited before it was ready');
        assert.ok(Date.now() < deadline, 'the API did not become ready in 90 s');
        await new Promise((r) => setTimeout(r, 200));
      }
      const r = await gql<any>(url, '{ viewer { role organization { name } } }', {}, key);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assert.equal(r.data!.viewer.role, 'ADMIN'); // the key came from the file
      const onFilePort = await fetch(`http://127.0.0.1:${filePort}/healthz`).then(
        () => true,
        () => false,
      );
      assert.equal(onFilePort, false, 'PORT from the environment must win over .env');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
