import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckResults } from '@meshfleet/agent-protocol';
import { toCheckJson } from './check-json';

const RESULTS: CheckResults = {
  success: false,
  categories: [
    {
      name: 'linkerd-existence',
      checks: [
        {
          description: "'linkerd-config' config map exists",
          result: 'success',
          hintAnchor: 'x',
          fatal: true,
        },
        {
          description: 'control plane pods are ready',
          result: 'error',
          hintAnchor: 'l5d-api-control-ready',
          hint: 'https://linkerd.io/2/checks/#l5d-api-control-ready',
          error: 'No running pods for "linkerd-identity"',
          fatal: true,
        },
      ],
    },
  ],
  notRun: [{ category: 'linkerd-config', description: 'control plane Namespace exists' }],
};

describe('toCheckJson', () => {
  it('prints what `linkerd check -o json` prints, key for key and in its order', () => {
    const text = JSON.stringify(toCheckJson(RESULTS), null, 2);
    assert.equal(
      text,
      [
        '{',
        '  "success": false,',
        '  "categories": [',
        '    {',
        '      "categoryName": "linkerd-existence",',
        '      "checks": [',
        '        {',
        '          "description": "\'linkerd-config\' config map exists",',
        '          "result": "success"',
        '        },',
        '        {',
        '          "description": "control plane pods are ready",',
        '          "hint": "https://linkerd.io/2/checks/#l5d-api-control-ready",',
        '          "error": "No running pods for \\"linkerd-identity\\"",',
        '          "result": "error"',
        '        }',
        '      ]',
        '    }',
        '  ]',
        '}',
      ].join('\n'),
    );
  });

  it('leaves out checks that did not run and our own fields', () => {
    const out = toCheckJson(RESULTS);
    assert.equal(out.categories.length, 1);
    assert.deepEqual(Object.keys(out.categories[0]!.checks[0]!), ['description', 'result']);
  });
});
