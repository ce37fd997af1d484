import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkedAddresses, classifyAddress, HostAllowlist } from './ssrf-guard';

describe('SSRF guard', () => {
  it('classifies private, loopback, link-local and public addresses', () => {
    for (const [ip, cls] of [
      ['10.1.2.3', 'private'],
      ['172.20.0.1', 'private'],
      ['192.168.1.1', 'private'],
      ['127.0.0.1', 'loopback'],
      ['169.254.169.254', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['::1', 'loopback'],
      ['fd00::1', 'private'],
      ['fe80::1', 'link-local'],
      ['::ffff:10.0.0.1', 'private'],
      ['8.8.8.8', 'public'],
      ['2606:4700::1111', 'public'],
    ])
      assert.equal(classifyAddress(ip!), cls, ip);
  });

  it('refuses a host when any resolved address is private', async () => {
    const resolve = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    await assert.rejects(
      checkedAddresses('hooks.example.com', new HostAllowlist([]), resolve),
      /10\.0\.0\.5/,
    );
  });

  it('allows private targets the allowlist names by address, CIDR or host', async () => {
    const list = new HostAllowlist(['127.0.0.1', '10.0.0.0/8', 'hooks.internal']);
    assert.equal((await checkedAddresses('127.0.0.1', list)).length, 1);
    const resolve = async () => [{ address: '192.168.3.3', family: 4 }];
    assert.equal((await checkedAddresses('hooks.internal', list, resolve)).length, 1);
    await assert.rejects(checkedAddresses('other.internal', list, resolve), /private/);
    await assert.rejects(checkedAddresses('169.254.169.254', list), /link-local/);
    assert.equal((await checkedAddresses('10.9.9.9', list)).length, 1);
  });
});
