import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** What the endpoint server answers besides /metrics. */
export interface EndpointOptions {
  host?: string;
  /** The flag that sets the port, for the "in use" message. */
  portFlag?: string;
  /** When given, /readyz answers 200 while it returns true and 503 otherwise (the operator's caches). */
  ready?: () => boolean;
}

/** Serves a registry's metrics on /metrics, 200 on /healthz, and /readyz when asked, while a process runs. */
export async function serveMetrics(registry: Registry, port: number, options: EndpointOptions = {}): Promise<Server> {
  const { host = '0.0.0.0', portFlag = '--metrics-port', ready } = options;
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else if (req.url === '/healthz') {
      res.writeHead(200).end('ok');
    } else if (req.url === '/readyz' && ready) {
      if (ready()) res.writeHead(200).end('ok');
      else res.writeHead(503).end('not ready');
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
