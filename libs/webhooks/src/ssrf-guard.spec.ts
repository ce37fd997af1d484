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

  it('judges IPv6 forms that carry an IPv4 address by that address, and refuses site-local', () => {
    for (const [ip, cls] of [
      ['::127.0.0.1', 'loopback'], // IPv4-compatible
      ['[::127.0.0.1]', 'loopback'],
      ['::7f00:1', 'loopback'],
      ['64:ff9b::7f00:1', 'loopback'], // NAT64
      ['64:ff9b::a9fe:a9fe', 'link-local'], // NAT64 of 169.254.169.254
      ['64:ff9b::808:808', 'public'],
      ['2002:7f00:1::', 'loopback'], // 6to4 of 127.0.0.1
      ['2002:a00:1::1', 'private'], // 6to4 of 10.0.0.1
      ['::ffff:0:7f00:1', 'loopback'], // IPv4-translated
      ['::ffff:a9fe:a9fe', 'link-local'],
      ['fec0::1', 'private'], // deprecated site-local
      ['64:ff9b:1::1', 'reserved'], // local-use NAT64
      ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'], // Teredo
      ['100.64.0.1', 'private'],
      ['255.255.255.255', 'reserved'],
      ['fe80::1%eth0', 'link-local'],
      ['not an address', 'reserved'],
    ])
      assert.equal(classifyAddress(ip!), cls, ip);
  });

  it('does not widen an allowlisted IPv4 address to the IPv6 forms that embed it', () => {
    const list = new HostAllowlist(['127.0.0.1']);
    assert.equal(list.allows('x', '::ffff:127.0.0.1'), true);
    assert.equal(list.allows('x', '64:ff9b::7f00:1'), false);
    assert.equal(list.allows('x', '::127.0.0.1'), false);
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
