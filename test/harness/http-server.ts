import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

/** An http server of a test file's own, for sources and processors to fetch from. */
export interface TestHttpServer {
  port: number;
  /** http://127.0.0.1:port */
  base: string;
}

/**
 * Serves `handler` on a free loopback port until the file's tests are done; then closes it, its open connections
 * (a slow-drip or stalled reply) included, so that they cannot keep the test process alive.
 */
export async function serveHttp(handler: RequestListener): Promise<TestHttpServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { port, base: `http://127.0.0.1:${port}` };
}
