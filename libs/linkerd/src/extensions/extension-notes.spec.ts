import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { extensionStatus } from './extension-notes';

describe('extension status', () => {
  it('manages viz and multicluster, and gives jaeger its migration to OTLP tracing', () => {
    assert.deepEqual(extensionStatus({ name: 'viz', namespace: 'linkerd-viz', version: 'edge-26.8.3' }), {
      name: 'viz',
      namespace: 'linkerd-viz',
      version: 'edge-26.8.3',
      prometheusUrl: null,
      links: null,
      managed: true,
      note: null,
    });
    const jaeger = extensionStatus({
      name: 'jaeger',
      namespace: 'linkerd-jaeger',
      version: 'stable-2.14.10',
    });
    assert.equal(jaeger.managed, false);
    assert.match(jaeger.note!, /deprecated since Linkerd 2\.19/);
    assert.match(jaeger.note!, /proxy\.tracing\.collector\.endpoint/);
    assert.equal(extensionStatus({ name: 'acme', namespace: 'acme', version: null }).managed, false);
  });
});
