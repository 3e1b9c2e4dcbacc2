import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Every address of a name, as `dns.lookup(name, { all: true })` returns them; injectable for tests. */
export type ResolveAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: ResolveAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** A target that passed the guard: connect to `address` (never resolve `url.hostname` again), send Host/SNI for the name. */
export interface CheckedTarget {
  url: URL;
  /** The name without IPv6 brackets: what goes in Host and SNI. */
  hostname: string;
  address: string;
  family: 4 | 6;
}

export type TargetCheck =
  | { ok: true; target: CheckedTarget }
  /** `permanent`: the URL itself is unusable, retrying cannot help (a resolution may change, a scheme cannot). */
  | { ok: false; reason: string; permanent: boolean };

const ranges: [name: string, network: string, prefix: number, family: 'ipv4' | 'ipv6'][] = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['private (RFC 1918)', '10.0.0.0', 8, 'ipv4'],
  ['carrier-grade NAT', '100.64.0.0', 10, 'ipv4'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['link-local / cloud metadata', '169.254.0.0', 16, 'ipv4'],
  ['private (RFC 1918)', '172.16.0.0', 12, 'ipv4'],
  ['IETF protocol assignments', '192.0.0.0', 24, 'ipv4'],
  ['private (RFC 1918)', '192.168.0.0', 16, 'ipv4'],
  ['benchmarking', '198.18.0.0', 15, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved / broadcast', '240.0.0.0', 4, 'ipv4'],
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  ['unique local (includes the EC2 metadata address fd00:ec2::254)', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['site-local (deprecated)', 'fec0::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
];

/** One BlockList per range, so a refusal can name the range it hit. */
const blocked = ranges.map(([name, network, prefix, family]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { name, list };
});

/**
 * The range `address` falls in, or undefined for a public address. IPv4-mapped (::ffff:a.b.c.d,
 * matched by BlockList itself), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by
 * the IPv4 address they carry, so wrapping 127.0.0.1 in IPv6 does not get past the guard.
 */
export function blockedRange(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const hit = blocked.find(({ list }) => list.check(address, type));
  if (hit) return hit.name;
  const embedded = family === 6 ? embeddedIpv4(address) : undefined;
  const inner = embedded && blockedRange(embedded);
  return inner ? `${inner}, inside an IPv6 address` : undefined;
}

function embeddedIpv4(address: string): string | undefined {
  const words = expandIpv6(address);
  if (!words) return undefined;
  const nat64 = words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0);
  if (nat64) return quad(words[6]!, words[7]!);
  if (words[0] === 0x2002) return quad(words[1]!, words[2]!);
  return undefined;
}

const quad = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');

/** The eight 16-bit words of an IPv6 address (with a trailing dotted quad allowed). */
function expandIpv6(address: string): number[] | undefined {
  let text = address.split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':').map((w) => parseInt(w, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const words = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined;
}

/**
 * Checks a webhook URL and resolves it once. Every address the name resolves to must be public
 * (unless private targets are allowed): checking only the first would let a name with one public
 * and one private address through on the next resolution. The caller connects to the returned
 * address, so nothing is resolved between this check and the connect (no DNS rebinding).
 */
export async function checkTarget(rawUrl: string, { allowPrivate, resolve = systemResolver }: { allowPrivate: boolean; resolve?: ResolveAll }): Promise<TargetCheck> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, reason: 'not a URL', permanent: true };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `scheme ${url.protocol} is not http(s)`, permanent: true };
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are not supported', permanent: true };
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  if (isIP(hostname)) addresses = [{ address: hostname, family: isIP(hostname) }];
  else {
    try {
      addresses = await resolve(hostname);
    } catch (error) {
      return { ok: false, reason: `cannot resolve ${hostname}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, permanent: false };
    }
  }
  const first = addresses[0];
  if (!first) return { ok: false, reason: `${hostname} resolves to no address`, permanent: false };
  if (!allowPrivate) {
    for (const { address } of addresses) {
      const range = blockedRange(address);
      const what = address === hostname ? address : `${hostname} resolves to ${address}, which`;
      if (range) return { ok: false, reason: `${what} is in a refused range (${range}); allowPrivateTargets on the endpoint allows it`, permanent: false };
    }
  }
  return { ok: true, target: { url, hostname, address: first.address, family: first.family === 6 ? 6 : 4 } };
}
