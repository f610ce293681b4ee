import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** A request that bulkhead's own rules refuse (see http-get.ts). Asking again gives the same answer. */
export class RefusedRequestError extends Error {}

// 169.254.0.0/16 is where cloud metadata endpoints answer (169.254.169.254: instance credentials). BlockList also
// matches an IPv4 address mapped into IPv6 (::ffff:169.254.169.254) against the IPv4 subnet.
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

/** Whether an IP address is link-local: 169.254.0.0/16, fe80::/10, or such an IPv4 address mapped into IPv6. */
export function isLinkLocal(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LINK_LOCAL.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The host of a URL when it is an IP address (an IPv6 one without its brackets). The URL parser has already turned
 * the other spellings of an IPv4 address (2852039166, 0xa9.254.169.254) into the dotted one.
 */
export function ipLiteral(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) === 0 ? undefined : host;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type Resolver = (hostname: string, options: LookupOptions & { all: true }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * A `lookup` for http(s).request that fails when the name resolves to any link-local address. The socket connects
 * to the address checked here, so a name cannot resolve one way for a check and another way for the connection.
 * An IP address in the URL is never looked up: check it with ipLiteral and isLinkLocal before the request.
 */
export function lookupRefusingLinkLocal(resolve: Resolver = dnsLookup) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const bad = addresses.find((a) => isLinkLocal(a.address));
      if (bad) return callback(new RefusedRequestError(`${hostname} resolves to ${bad.address}, a link-local address`), []);
      const first = addresses[0];
      if (options.all) callback(null, addresses);
      else if (first) callback(null, first.address, first.family);
      else callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), []);
    });
  };
}
