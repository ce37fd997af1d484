import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@meshfleet/core';
import type { HealthReport } from '@meshfleet/agent-protocol';
import {
  checkNoLinks,
  checkPrometheusUrl,
  extensionWarnings,
  checkExtensionPresence,
  checkExtensionVersion,
  checkNoExtensions,
  controlPlaneVersion,
  extensionName,
} from './extension-requests';

function reason(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DomainError, String(e));
    return (e.details as { reason?: string } | undefined)?.reason;
  }
  assert.fail('not refused');
}

const report = (extensions: HealthReport['extensions'], installed = true) =>
  ({
    linkerd: { installed, version: installed ? 'edge-26.8.3' : null },
    extensions,
  }) as unknown as HealthReport;
const ext = (name: string, namespace: string, version: string | null, more: object = {}) => ({
  name,
  namespace,
  version,
  prometheusUrl: null,
  links: null,
  ...more,
});
const viz = [ext('viz', 'linkerd-viz', 'edge-26.8.3')];

describe('extension requests', () => {
  it('knows viz and multicluster, and says what to do about jaeger', () => {
    assert.equal(extensionName(' viz '), 'viz');
    assert.equal(
      reason(() => extensionName('jaeger')),
      'UNKNOWN_EXTENSION',
    );
    assert.throws(() => extensionName('jaeger'), /deprecated jaeger in 2\.19/);
  });

  it('needs Linkerd installed', () => {
    assert.equal(controlPlaneVersion('c', report([])), 'edge-26.8.3');
    assert.equal(
      reason(() => controlPlaneVersion('c', report([], false))),
      'NOT_INSTALLED',
    );
    assert.equal(
      reason(() => controlPlaneVersion('c', null)),
      'NOT_INSTALLED',
    );
  });

  it('refuses an extension of another major than the control plane', () => {
    checkExtensionVersion('edge-26.8.3', 'edge-26.6.3');
    assert.equal(
      reason(() => checkExtensionVersion('edge-26.8.3', 'enterprise-2.19.1')),
      'EXTENSION_VERSION_MISMATCH',
    );
    assert.equal(
      reason(() => checkExtensionVersion('edge-26.8.3', 'latest')),
      'BAD_VERSION',
    );
  });

  it('install wants it absent, upgrade and uninstall present', () => {
    checkExtensionPresence('c', report([]), 'viz', 'install');
    assert.equal(
      reason(() => checkExtensionPresence('c', report(viz), 'viz', 'install')),
      'EXTENSION_INSTALLED',
    );
    assert.equal(
      reason(() => checkExtensionPresence('c', report([]), 'viz', 'uninstall')),
      'EXTENSION_NOT_INSTALLED',
    );
    checkExtensionPresence('c', report(viz), 'viz', 'upgrade');
  });

  it('core uninstall refuses while any extension namespace exists, third-party ones too', () => {
    checkNoExtensions('c', report([]));
    assert.equal(
      reason(() => checkNoExtensions('c', report(viz))),
      'EXTENSIONS_INSTALLED',
    );
    assert.throws(
      () => checkNoExtensions('c', report([ext('jaeger', 'linkerd-jaeger', null)])),
      /jaeger in linkerd-jaeger/,
    );
  });

  it('takes an http(s) prometheusUrl for viz only; upgrade keeps the current one unless told', () => {
    const external = report([
      ext('viz', 'linkerd-viz', 'edge-26.8.3', { prometheusUrl: 'http://prom:9090' }),
    ]);
    assert.equal(
      checkPrometheusUrl(report([]), 'viz', 'install', ' http://prom.mon:9090 '),
      'http://prom.mon:9090',
    );
    assert.equal(checkPrometheusUrl(report([]), 'viz', 'install', null), null);
    assert.equal(checkPrometheusUrl(external, 'viz', 'upgrade', undefined), 'http://prom:9090');
    assert.equal(checkPrometheusUrl(external, 'viz', 'upgrade', ''), null, '"" is the bundled one again');
    assert.equal(
      reason(() => checkPrometheusUrl(report([]), 'viz', 'install', 'prom:9090')),
      'BAD_PROMETHEUS_URL',
    );
    assert.equal(
      reason(() =>
        checkPrometheusUrl(report([]), 'viz', 'install', 'https://user:secret@prom.example.invalid'),
      ),
      'BAD_PROMETHEUS_URL',
    );
    assert.equal(
      reason(() => checkPrometheusUrl(report([]), 'multicluster', 'install', 'http://prom:9090')),
      'VIZ_ONLY',
    );
    assert.equal(
      reason(() => checkPrometheusUrl(external, 'viz', 'uninstall', 'http://prom:9090')),
      'NOT_FOR_UNINSTALL',
    );
  });

  it('multicluster uninstall refuses while the report lists Links', () => {
    const mc = (links: string[] | null) =>
      report([ext('multicluster', 'linkerd-multicluster', 'edge-26.8.3', { links })]);
    checkNoLinks('c', mc([]), 'multicluster');
    checkNoLinks('c', mc(null), 'multicluster');
    checkNoLinks('c', mc(['linkerd-multicluster/east']), 'viz');
    assert.equal(
      reason(() => checkNoLinks('c', mc(['linkerd-multicluster/east']), 'multicluster')),
      'LINKS_EXIST',
    );
    assert.throws(
      () => checkNoLinks('c', mc(['linkerd-multicluster/east']), 'multicluster'),
      /multicluster\/east/,
    );
  });

  it('warns about scrapes only for viz', () => {
    const r = {
      ...report([]),
      adoption: {
        defaultInboundPolicy: 'deny',
        namespaces: [{ name: 'shop', inject: 'enabled', inboundPolicy: null, workloads: [] }],
      },
    } as unknown as HealthReport;
    const o = { prometheusUrl: null, allowScrapesNamespaces: [] };
    assert.deepEqual(
      extensionWarnings(r, 'viz', o).map((w) => w.code),
      ['SCRAPES_BLOCKED'],
    );
    assert.deepEqual(extensionWarnings(r, 'multicluster', o), []);
  });
});
