import t from 'tap';
import { blockedRange, checkTarget, type ResolveAll } from '../../src/adapters/webhooks/index.js';

const stubDns =
  (table: Record<string, string[]>): ResolveAll =>
  async (hostname) => {
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

type Row = [registryEntry: string, address: string, verdict: 'allowed' | 'refused'];

// One row per entry of IANA's IPv4 Special-Purpose Address Registry (as of 2025), with a
// representative address. Entries IANA marks globally reachable (anycast services, AS112, AMT)
// are refused all the same: no partner's webhook lives at a protocol's anycast address.
const ipv4Registry: Row[] = [
  ['0.0.0.0/8 "this network"', '0.1.2.3', 'refused'],
  ['0.0.0.0/32 "this host on this network"', '0.0.0.0', 'refused'],
  ['10.0.0.0/8 private-use', '10.1.2.3', 'refused'],
  ['100.64.0.0/10 shared address space (CGNAT)', '100.64.0.1', 'refused'],
  ['127.0.0.0/8 loopback', '127.8.9.10', 'refused'],
  ['169.254.0.0/16 link-local (cloud metadata)', '169.254.169.254', 'refused'],
  ['172.16.0.0/12 private-use', '172.31.255.255', 'refused'],
  ['192.0.0.0/24 IETF protocol assignments', '192.0.0.100', 'refused'],
  ['192.0.0.0/29 IPv4 service continuity prefix', '192.0.0.1', 'refused'],
  ['192.0.0.8/32 IPv4 dummy address', '192.0.0.8', 'refused'],
  ['192.0.0.9/32 PCP anycast', '192.0.0.9', 'refused'],
  ['192.0.0.10/32 TURN anycast', '192.0.0.10', 'refused'],
  ['192.0.0.170/32 NAT64/DNS64 discovery', '192.0.0.170', 'refused'],
  ['192.0.0.171/32 NAT64/DNS64 discovery', '192.0.0.171', 'refused'],
  ['192.0.2.0/24 documentation (TEST-NET-1)', '192.0.2.1', 'refused'],
  ['192.31.196.0/24 AS112-v4', '192.31.196.1', 'refused'],
  ['192.52.193.0/24 AMT', '192.52.193.1', 'refused'],
  ['192.88.99.0/24 deprecated 6to4 relay anycast', '192.88.99.1', 'refused'],
  ['192.168.0.0/16 private-use', '192.168.1.1', 'refused'],
  ['192.175.48.0/24 direct delegation AS112 service', '192.175.48.1', 'refused'],
  ['198.18.0.0/15 benchmarking', '198.19.0.1', 'refused'],
  ['198.51.100.0/24 documentation (TEST-NET-2)', '198.51.100.1', 'refused'],
  ['203.0.113.0/24 documentation (TEST-NET-3)', '203.0.113.1', 'refused'],
  ['240.0.0.0/4 reserved', '240.0.0.1', 'refused'],
  ['255.255.255.255/32 limited broadcast', '255.255.255.255', 'refused'],
];

// IANA's IPv6 Special-Purpose Address Registry (as of 2025). The forms that carry an IPv4 address
// get two rows: they are judged by the IPv4 address inside.
const ipv6Registry: Row[] = [
  ['::1/128 loopback', '::1', 'refused'],
  ['::/128 unspecified', '::', 'refused'],
  ['::ffff:0:0/96 IPv4-mapped, loopback inside', '::ffff:127.0.0.1', 'refused'],
  ['::ffff:0:0/96 IPv4-mapped, metadata inside (hex form)', '::ffff:a9fe:a9fe', 'refused'],
  ['::ffff:0:0/96 IPv4-mapped, public inside', '::ffff:8.8.8.8', 'allowed'],
  ['64:ff9b::/96 NAT64 well-known prefix, private inside', '64:ff9b::a00:1', 'refused'],
  ['64:ff9b::/96 NAT64 well-known prefix, public inside', '64:ff9b::808:808', 'allowed'],
  ['64:ff9b:1::/48 NAT64 local-use prefix, even with a public address inside', '64:ff9b:1::808:808', 'refused'],
  ['64:ff9b:1::/48 NAT64 local-use prefix', '64:ff9b:1::a00:1', 'refused'],
  ['100::/64 discard-only', '100::1', 'refused'],
  ['100:0:0:1::/64 dummy IPv6 prefix', '100:0:0:1::1', 'refused'],
  ['2001::/23 IETF protocol assignments', '2001:5::1', 'refused'],
  ['2001::/32 Teredo, client 127.0.0.1 inside', '2001:0:4136:e378:8000:63bf:80ff:fffe', 'refused'],
  ['2001::/32 Teredo, documentation client inside', '2001:0:4136:e378:8000:63bf:3fff:fdd2', 'refused'],
  ['2001::/32 Teredo, server 10.0.0.1 inside', '2001:0:a00:1:8000:63bf:f7f7:f7f7', 'refused'],
  ['2001::/32 Teredo, public server and client', '2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'allowed'],
  ['2001:1::1/128 PCP anycast', '2001:1::1', 'refused'],
  ['2001:1::2/128 TURN anycast', '2001:1::2', 'refused'],
  ['2001:1::3/128 DNS-SD SRP anycast', '2001:1::3', 'refused'],
  ['2001:2::/48 benchmarking', '2001:2::1', 'refused'],
  ['2001:3::/32 AMT', '2001:3::1', 'refused'],
  ['2001:4:112::/48 AS112-v6', '2001:4:112::1', 'refused'],
  ['2001:10::/28 deprecated ORCHID', '2001:10::1', 'refused'],
  ['2001:20::/28 ORCHIDv2', '2001:20::1', 'refused'],
  ['2001:30::/28 drone remote ID entity tags', '2001:30::1', 'refused'],
  ['2001:db8::/32 documentation', '2001:db8::1', 'refused'],
  ['2002::/16 6to4, loopback inside', '2002:7f00:1::', 'refused'],
  ['2002::/16 6to4, public inside', '2002:808:808::', 'allowed'],
  ['2620:4f:8000::/48 direct delegation AS112 service', '2620:4f:8000::1', 'refused'],
  ['3fff::/20 documentation', '3fff::1', 'refused'],
  ['5f00::/16 segment routing (SRv6) SIDs', '5f00::1', 'refused'],
  ['fc00::/7 unique local', 'fd12:3456::1', 'refused'],
  ['fc00::/7 unique local: the EC2 metadata address', 'fd00:ec2::254', 'refused'],
  ['fe80::/10 link-local unicast', 'fe80::1', 'refused'],
];

// Outside the special-purpose registries: multicast and the rest of the address-space registries,
// the deprecated IPv4-compatible form, and public addresses on either side of refused ranges.
const otherRows: Row[] = [
  ['224.0.0.0/4 multicast', '224.0.0.1', 'refused'],
  ['ff00::/8 multicast', 'ff02::1', 'refused'],
  ['fec0::/10 deprecated site-local', 'fec0::1', 'refused'],
  ['::/96 IPv4-compatible (deprecated), loopback inside', '::7f00:1', 'refused'],
  ['::/96 IPv4-compatible (deprecated), loopback inside, dotted', '::127.0.0.1', 'refused'],
  ['::/96 IPv4-compatible (deprecated), public inside', '::808:808', 'allowed'],
  ['::ffff:0:0:0/96 IPv4-translated (RFC 6145), loopback inside', '::ffff:0:7f00:1', 'refused'],
  ['outside 2000::/3: not allocated as global unicast', '4000::1', 'refused'],
  ['public IPv4', '93.184.216.34', 'allowed'],
  ['public IPv4', '8.8.8.8', 'allowed'],
  ['just below 100.64.0.0/10', '100.63.255.255', 'allowed'],
  ['just above 100.64.0.0/10', '100.128.0.1', 'allowed'],
  ['just above 172.16.0.0/12', '172.32.0.1', 'allowed'],
  ['just above 192.168.0.0/16', '192.169.0.1', 'allowed'],
  ['public IPv6', '2606:4700::1111', 'allowed'],
];

t.test('the IANA special-purpose registries, row by row: only public unicast passes', async (t) => {
  for (const [entry, address, verdict] of [...ipv4Registry, ...ipv6Registry, ...otherRows]) {
    const range = blockedRange(address);
    if (verdict === 'allowed') t.equal(range, undefined, `${entry}: ${address} allowed`);
    else t.ok(range, `${entry}: ${address} refused (${range})`);
  }
});

t.test('a refusal names the range it hit, and the IPv6 form around an IPv4 address', async (t) => {
  t.equal(blockedRange('169.254.169.254'), 'link-local / cloud metadata');
  t.match(blockedRange('fd00:ec2::254'), /EC2 metadata/);
  t.equal(blockedRange('::ffff:0:7f00:1'), 'loopback, inside an IPv6 address (rfc6145)');
  t.equal(blockedRange('::7f00:1'), 'loopback, inside an IPv6 address (IPv4-compatible)');
  t.equal(blockedRange('64:ff9b:1::808:808'), 'NAT64 local-use prefix 64:ff9b:1::/48');
  t.equal(blockedRange('not-an-address'), 'not an IP address');
});

t.test('the bracketed forms outside testing got past the guard with are refused', async (t) => {
  const resolve = stubDns({});
  for (const url of [
    'http://[::ffff:0:127.0.0.1]/hook',
    'http://[64:ff9b:1::a00:1]/hook',
    'http://[64:ff9b:1::808:808]/hook',
    'http://[::127.0.0.1]/hook',
    'http://[::7f00:1]:8080/hook',
  ]) {
    t.match(
      await checkTarget(url, { allowPrivate: false, resolve }),
      { ok: false, permanent: false, reason: /refused range/ },
      url,
    );
  }
  t.match(
    await checkTarget('http://[64:ff9b::808:808]/hook', { allowPrivate: false, resolve }),
    { ok: true, target: { family: 6 } },
    'NAT64 to a public address',
  );
});

t.test('literal targets in refused ranges are refused unless allowed', async (t) => {
  const resolve = stubDns({});
  for (const url of [
    'http://127.0.0.1:8080/hook',
    'http://10.0.0.5/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]:9000/',
    'http://[fd00:ec2::254]/',
    'http://2130706433/',
    'http://0x7f.1/',
  ]) {
    const check = await checkTarget(url, { allowPrivate: false, resolve });
    t.match(check, { ok: false, permanent: false, reason: /refused range/ }, url);
  }
  t.match(await checkTarget('http://127.0.0.1:8080/hook', { allowPrivate: true, resolve }), {
    ok: true,
    target: { address: '127.0.0.1', family: 4, hostname: '127.0.0.1' },
  });
  t.match(await checkTarget('http://[::1]:9000/', { allowPrivate: true, resolve }), {
    ok: true,
    target: { address: '::1', family: 6, hostname: '::1' },
  });
});

t.test('every resolved address is checked: one private address among public ones refuses the name', async (t) => {
  const resolve = stubDns({
    'partner.example': ['93.184.216.34', '10.0.0.7'],
    'good.example': ['93.184.216.34', '2606:4700::1111'],
  });
  t.match(await checkTarget('https://partner.example/hook', { allowPrivate: false, resolve }), {
    ok: false,
    reason: /partner.example resolves to 10.0.0.7, which is in a refused range \(private \(RFC 1918\)\)/,
  });
  t.match(await checkTarget('https://good.example/hook', { allowPrivate: false, resolve }), {
    ok: true,
    target: { hostname: 'good.example', address: '93.184.216.34', family: 4 },
  });
});

t.test('a name that resolves to loopback (localhost, real DNS) is refused unless allowed', async (t) => {
  t.match(await checkTarget('http://localhost:9/hook', { allowPrivate: false }), {
    ok: false,
    reason: /localhost resolves to .*\(loopback\)/,
  });
  t.match(await checkTarget('http://localhost:9/hook', { allowPrivate: true }), {
    ok: true,
    target: { hostname: 'localhost' },
  });
});

t.test(
  'schemes other than http(s), credentials and garbage are refused for good; resolution failures are not',
  async (t) => {
    const resolve = stubDns({});
    for (const url of [
      'ftp://partner.example/',
      'file:///etc/passwd',
      'gopher://partner.example/',
      'javascript:alert(1)',
    ]) {
      t.match(
        await checkTarget(url, { allowPrivate: true, resolve }),
        { ok: false, permanent: true, reason: /scheme/ },
        url,
      );
    }
    t.match(await checkTarget('https://user:pw@partner.example/', { allowPrivate: true, resolve }), {
      ok: false,
      permanent: true,
      reason: /credentials/,
    });
    t.match(await checkTarget('not a url', { allowPrivate: true, resolve }), { ok: false, permanent: true });
    t.match(await checkTarget('https://nowhere.example/', { allowPrivate: false, resolve }), {
      ok: false,
      permanent: false,
      reason: /cannot resolve nowhere.example: ENOTFOUND/,
    });
  },
);
