import t from 'tap';
import { blockedRange, checkTarget, type ResolveAll } from '../../src/adapters/webhooks/index.js';

const stubDns = (table: Record<string, string[]>): ResolveAll => async (hostname) => {
  const addresses = table[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

t.test('refused ranges: loopback, private, link-local, CGNAT, unspecified, metadata, multicast; IPv4 inside IPv6 too', async (t) => {
  const refused = [
    '127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '169.254.0.1',
    '100.64.0.1', '100.127.255.254', '0.0.0.0', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fc00::1', 'fd12:3456::1', 'fd00:ec2::254', 'fe80::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:a9fe:a9fe', '64:ff9b::a00:1', '2002:7f00:1::',
  ];
  for (const address of refused) t.ok(blockedRange(address), `${address} refused (${blockedRange(address)})`);
  const allowed = ['93.184.216.34', '8.8.8.8', '100.63.255.255', '100.128.0.1', '172.32.0.1', '192.169.0.1', '2606:4700::1111', '64:ff9b::808:808', '2002:808:808::'];
  for (const address of allowed) t.equal(blockedRange(address), undefined, `${address} allowed`);
  t.equal(blockedRange('169.254.169.254'), 'link-local / cloud metadata');
  t.match(blockedRange('fd00:ec2::254'), /EC2 metadata/);
});

t.test('literal targets in refused ranges are refused unless allowed', async (t) => {
  const resolve = stubDns({});
  for (const url of ['http://127.0.0.1:8080/hook', 'http://10.0.0.5/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:9000/', 'http://[fd00:ec2::254]/', 'http://2130706433/', 'http://0x7f.1/']) {
    const check = await checkTarget(url, { allowPrivate: false, resolve });
    t.match(check, { ok: false, permanent: false, reason: /refused range/ }, url);
  }
  t.match(await checkTarget('http://127.0.0.1:8080/hook', { allowPrivate: true, resolve }), { ok: true, target: { address: '127.0.0.1', family: 4, hostname: '127.0.0.1' } });
  t.match(await checkTarget('http://[::1]:9000/', { allowPrivate: true, resolve }), { ok: true, target: { address: '::1', family: 6, hostname: '::1' } });
});

t.test('every resolved address is checked: one private address among public ones refuses the name', async (t) => {
  const resolve = stubDns({ 'partner.example': ['93.184.216.34', '10.0.0.7'], 'good.example': ['93.184.216.34', '2606:4700::1111'] });
  t.match(await checkTarget('https://partner.example/hook', { allowPrivate: false, resolve }), { ok: false, reason: /partner.example resolves to 10.0.0.7, which is in a refused range \(private \(RFC 1918\)\)/ });
  t.match(await checkTarget('https://good.example/hook', { allowPrivate: false, resolve }), { ok: true, target: { hostname: 'good.example', address: '93.184.216.34', family: 4 } });
});

t.test('a name that resolves to loopback (localhost, real DNS) is refused unless allowed', async (t) => {
  t.match(await checkTarget('http://localhost:9/hook', { allowPrivate: false }), { ok: false, reason: /localhost resolves to .*\(loopback\)/ });
  t.match(await checkTarget('http://localhost:9/hook', { allowPrivate: true }), { ok: true, target: { hostname: 'localhost' } });
});

t.test('schemes other than http(s), credentials and garbage are refused for good; resolution failures are not', async (t) => {
  const resolve = stubDns({});
  for (const url of ['ftp://partner.example/', 'file:///etc/passwd', 'gopher://partner.example/', 'javascript:alert(1)']) {
    t.match(await checkTarget(url, { allowPrivate: true, resolve }), { ok: false, permanent: true, reason: /scheme/ }, url);
  }
  t.match(await checkTarget('https://user:pw@partner.example/', { allowPrivate: true, resolve }), { ok: false, permanent: true, reason: /credentials/ });
  t.match(await checkTarget('not a url', { allowPrivate: true, resolve }), { ok: false, permanent: true });
  t.match(await checkTarget('https://nowhere.example/', { allowPrivate: false, resolve }), { ok: false, permanent: false, reason: /cannot resolve nowhere.example: ENOTFOUND/ });
});
