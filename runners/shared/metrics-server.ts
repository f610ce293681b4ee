import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** What the endpoint server answers besides /metrics. */
export interface EndpointOptions {
  host?: string;
  /** The flag that sets the port, for the "in use" message. */
  portFlag?: string;
  /** When given, /readyz answers 200 while it returns undefined, and 503 with the reason it returns otherwise. */
  notReady?: () => string | undefined;
  /** When given, /healthz answers 503 with the reason it returns, and 200 while it returns undefined. */
  unhealthy?: () => string | undefined;
}

/** Serves a registry's metrics on /metrics, /healthz, and /readyz when asked, while a process runs. */
export async function serveMetrics(registry: Registry, port: number, options: EndpointOptions = {}): Promise<Server> {
  const { host = '0.0.0.0', portFlag = '--metrics-port', notReady, unhealthy } = options;
  const probe = (res: ServerResponse, problem: string | undefined) =>
    (problem === undefined ? res.writeHead(200).end('ok') : res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(`${problem}\n`));
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else if (req.url === '/healthz') {
      probe(res, unhealthy?.());
    } else if (req.url === '/readyz' && notReady) {
      probe(res, notReady());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `${portFlag === '--metrics-port' ? 'metrics port' : 'port'} ${port} is already in use; pick another with ${portFlag}` : err.message, { cause: err })));
    server.listen(port, host, resolve);
  });
  server.unref();
  return server;
}
