import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { ipLiteral, isLinkLocal, lookupRefusingLinkLocal, RefusedRequestError } from '../../runners/shared/link-local.js';

test('link-local addresses: 169.254.0.0/16, fe80::/10, and IPv4 ones mapped into IPv6', () => {
  for (const a of ['169.254.169.254', '169.254.0.1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', 'fe80::1', 'febf:ffff::1']) assert.equal(isLinkLocal(a), true, a);
  for (const a of ['169.253.255.255', '169.255.0.1', '127.0.0.1', '10.0.0.1', '::1', 'fec0::1', '::ffff:127.0.0.1', 'metadata.google.internal']) assert.equal(isLinkLocal(a), false, a);
  assert.equal(ipLiteral(new URL('http://2852039166/')), '169.254.169.254');
  assert.equal(ipLiteral(new URL('http://0xa9.0376.43518/')), '169.254.169.254');
  assert.equal(ipLiteral(new URL('http://[::ffff:169.254.169.254]/')), '::ffff:a9fe:a9fe');
  assert.equal(ipLiteral(new URL('http://example.com/')), undefined);
});

/** A resolver that answers every name with the given addresses, as a DNS server under someone else's control may. */
const resolvingTo = (...addresses: string[]) => (_host: string, _options: object, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void): void =>
  callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

test('a name that resolves to any link-local address is refused before the socket connects', async () => {
  let connections = 0;
  const server = createServer((_req, res) => res.end('ok'));
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const fetchVia = (lookup: ReturnType<typeof lookupRefusingLinkLocal>): Promise<unknown> => new Promise((resolve) => {
    get(`http://metadata.test:${port}/`, { lookup, agent: false }, (res) => res.resume().on('end', () => resolve('ok'))).on('error', resolve);
  });
  try {
    const refused = await fetchVia(lookupRefusingLinkLocal(resolvingTo('127.0.0.1', '169.254.169.254')));
    assert.ok(refused instanceof RefusedRequestError);
    assert.equal(refused.message, 'metadata.test resolves to 169.254.169.254, a link-local address');
    assert.equal(connections, 0, 'no connection was made');
    assert.equal(await fetchVia(lookupRefusingLinkLocal(resolvingTo('127.0.0.1'))), 'ok', 'any other address connects');
    assert.equal(connections, 1);
  } finally {
    server.close();
  }
});
