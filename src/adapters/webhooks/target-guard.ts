import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

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

/** How a refusal names ipaddr.js's range; a range not listed here is named as ipaddr.js names it. */
const rangeLabels: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local / cloud metadata',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private (RFC 1918)',
  reserved: 'reserved, documentation or IETF protocol assignments',
  uniqueLocal: 'unique local (includes the EC2 metadata address fd00:ec2::254)',
  deprecatedSiteLocal: 'site-local (deprecated)',
  discard: 'discard-only',
  benchmarking: 'benchmarking',
  // Only the local-use NAT64 prefix gets here: the well-known one is judged by its IPv4 address.
  rfc6052: 'NAT64 local-use prefix 64:ff9b:1::/48',
};

// ipaddr.js calls every IPv6 address outside its special ranges unicast, but IANA has allocated
// only 2000::/3 as global unicast: the rest (e.g. the deprecated IPv4-compatible ::a.b.c.d, or
// 100:0:0:1::/64) is not an address a webhook can live at.
const globalUnicast = ipaddr.IPv6.parseCIDR('2000::/3');
const wellKnownNat64 = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

const ipv4From = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);

/**
 * The IPv4 addresses an IPv6 address carries, for the forms that lead to them: IPv4-mapped and
 * -translated, IPv4-compatible, NAT64 with the well-known prefix, 6to4, Teredo (server and
 * client). undefined: the address is not such a form.
 */
function embeddedIpv4(address: ipaddr.IPv6, range: string): ipaddr.IPv4[] | undefined {
  const p = address.parts;
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return [ipv4From(p[6]!, p[7]!)];
    case 'rfc6052':
      // The local-use prefix 64:ff9b:1::/48 (RFC 8215) leads to a translator of the local network,
      // and where the IPv4 address sits depends on its prefix length: refused below as it is.
      return address.match(wellKnownNat64) ? [ipv4From(p[6]!, p[7]!)] : undefined;
    case '6to4':
      return [ipv4From(p[1]!, p[2]!)];
    case 'teredo':
      // RFC 4380: the server's address as it is, the client's with every bit inverted.
      return [ipv4From(p[2]!, p[3]!), ipv4From(p[6]! ^ 0xffff, p[7]! ^ 0xffff)];
    case 'unicast':
      return p.slice(0, 6).every((w) => w === 0) ? [ipv4From(p[6]!, p[7]!)] : undefined;
    default:
      return undefined;
  }
}

/**
 * Why `address` is refused as a webhook target, or undefined for a public one. Only ipaddr.js's
 * `unicast` range passes (in IPv6 only inside 2000::/3); an IPv6 form that carries an IPv4
 * address is judged by every IPv4 address it carries, so wrapping 127.0.0.1 in IPv6 does not get
 * past the guard, while NAT64 to a public address (IPv6-only networks) still works.
 */
export function blockedRange(text: string): string | undefined {
  if (isIP(text) === 0) return 'not an IP address';
  const address = ipaddr.parse(text);
  const range = address.range() as string;
  if (address.kind() === 'ipv4') return range === 'unicast' ? undefined : (rangeLabels[range] ?? range);
  const ipv6 = address as ipaddr.IPv6;
  const embedded = embeddedIpv4(ipv6, range);
  if (embedded) {
    const inner = embedded.map((ipv4) => blockedRange(ipv4.toString())).find((reason) => reason !== undefined);
    return inner ? `${inner}, inside an IPv6 address (${range === 'unicast' ? 'IPv4-compatible' : range})` : undefined;
  }
  if (range !== 'unicast') return rangeLabels[range] ?? range;
  return ipv6.match(globalUnicast) ? undefined : 'not global unicast (outside 2000::/3)';
}

/**
 * Checks a webhook URL and resolves it once. Every address the name resolves to must be public
 * (unless private targets are allowed): checking only the first would let a name with one public
 * and one private address through on the next resolution. The caller connects to the returned
 * address, so nothing is resolved between this check and the connect (no DNS rebinding).
 */
export async function checkTarget(
  rawUrl: string,
  { allowPrivate, resolve = systemResolver }: { allowPrivate: boolean; resolve?: ResolveAll },
): Promise<TargetCheck> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, reason: 'not a URL', permanent: true };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: `scheme ${url.protocol} is not http(s)`, permanent: true };
  if (url.username || url.password)
    return { ok: false, reason: 'credentials in the URL are not supported', permanent: true };
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  if (isIP(hostname)) addresses = [{ address: hostname, family: isIP(hostname) }];
  else {
    try {
      addresses = await resolve(hostname);
    } catch (error) {
      return {
        ok: false,
        reason: `cannot resolve ${hostname}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        permanent: false,
      };
    }
  }
  const first = addresses[0];
  if (!first) return { ok: false, reason: `${hostname} resolves to no address`, permanent: false };
  if (!allowPrivate) {
    for (const { address } of addresses) {
      const range = blockedRange(address);
      const what = address === hostname ? address : `${hostname} resolves to ${address}, which`;
      if (range)
        return {
          ok: false,
          reason: `${what} is in a refused range (${range}); allowPrivateTargets on the endpoint allows it`,
          permanent: false,
        };
    }
  }
  return { ok: true, target: { url, hostname, address: first.address, family: first.family === 6 ? 6 : 4 } };
}
