import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** Serves a registry's metrics on /metrics (and 200 on /healthz) while a runner runs. */
export async function serveMetrics(registry: Registry, port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else if (req.url === '/healthz') {
      res.writeHead(200).end('ok');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `metrics port ${port} is already in use; pick another with --metrics-port` : err.message, { cause: err })));
    server.listen(port, host, resolve);
  });
  server.unref();
  return server;
}
