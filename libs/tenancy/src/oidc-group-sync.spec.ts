import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { groupsOf, mappedRole } from './oidc-group-sync';

describe('OIDC group claims', () => {
  const roles = new Map([
    ['admins', 'ADMIN'],
    ['ops', 'EDITOR'],
    ['all', 'VIEWER'],
  ] as const);

  it('reads a list, a single string, or a nested claim; ignores anything else', () => {
    assert.deepEqual(groupsOf({ groups: ['a', 1, 'b'] }, 'groups'), ['a', 'b']);
    assert.deepEqual(groupsOf({ groups: 'a' }, 'groups'), ['a']);
    assert.deepEqual(groupsOf({ realm_access: { roles: ['ops'] } }, 'realm_access.roles'), ['ops']);
    assert.deepEqual(groupsOf({ groups: { a: 1 } }, 'groups'), []);
    assert.deepEqual(groupsOf({}, 'groups'), []);
  });

  it('takes the highest role any group maps to, or none', () => {
    assert.equal(mappedRole(['all', 'ops'], new Map(roles)), 'EDITOR');
    assert.equal(mappedRole(['admins', 'all'], new Map(roles)), 'ADMIN');
    assert.equal(mappedRole(['other'], new Map(roles)), null);
    assert.equal(mappedRole([], new Map(roles)), null);
  });
});
