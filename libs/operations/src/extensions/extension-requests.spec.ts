import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@meshfleet/core';
import type { HealthReport } from '@meshfleet/agent-protocol';
import {
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
const viz = [{ name: 'viz', namespace: 'linkerd-viz', version: 'edge-26.8.3' }];

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
      () => checkNoExtensions('c', report([{ name: 'jaeger', namespace: 'linkerd-jaeger', version: null }])),
      /jaeger in linkerd-jaeger/,
    );
  });
});
