/**
 * A TCP proxy in front of the API server for one client, that can stall: while stalled it accepts connections and
 * bytes in both directions but forwards nothing, the way a network partition or a frozen load balancer looks to
 * both ends (connections stay open, nothing arrives, nothing fails). resume() delivers what it held. When one end
 * of a connection closes, what was held for the other is dropped: a request written by a process that has since
 * exited never reaches the server. TLS passes through untouched, so the client still verifies the server.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A running proxy. */
export interface StallingProxy {
  /** https://127.0.0.1:port, to use in place of the API server's URL. */
  server: string;
  stall(): void;
  resume(): void;
  /**
   * Ends the stall for new connections only: those opened before stay silent for good, as a connection does whose
   * state a NAT or load balancer dropped. Only a client that gives up on a request and reconnects gets through.
   */
  heal(): void;
  close(): Promise<void>;
}

/** One direction of one connection: forwards, or holds while the proxy is stalled. */
class Pipe {
  private held: Buffer[] = [];

  constructor(private readonly to: Socket, private readonly stalled: () => boolean) {}

  push(data: Buffer): void {
    if (this.stalled() || this.held.length > 0) this.held.push(data);
    else this.to.write(data);
  }

  flush(): void {
    for (const data of this.held.splice(0)) this.to.write(data);
  }
}

/** Listens on a free loopback port and forwards to the https `target` URL's host and port. */
export async function startStallingProxy(target: string): Promise<StallingProxy> {
  const { hostname, port } = new URL(target);
  let stalled = false;
  let opened = 0;
  /** Connections numbered below this one were cut off by heal() and stay silent. */
  let silentBelow = 0;
  const pipes = new Set<Pipe>();
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    const id = opened++;
    const silent = () => stalled || id < silentBelow;
    const toServer = new Pipe(upstream, silent);
    const toClient = new Pipe(client, silent);
    for (const [from, pipe] of [[client, toServer], [upstream, toClient]] as const) {
      sockets.add(from);
      pipes.add(pipe);
      from.on('data', (d: Buffer) => pipe.push(d));
      from.on('error', () => undefined);
      from.on('close', () => {
        sockets.delete(from);
        pipes.delete(toServer);
        pipes.delete(toClient);
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    server: `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    stall: () => void (stalled = true),
    resume: () => {
      stalled = false;
      for (const pipe of pipes) pipe.flush();
    },
    heal: () => {
      silentBelow = opened;
      stalled = false;
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      proxy.close(() => resolve());
    }),
  };
}

/** Writes a copy of a kubeconfig whose cluster points at `server` instead, next to it; returns its path. */
export async function kubeconfigThrough(kubeconfig: string, server: string, suffix: string): Promise<string> {
  const config = JSON.parse(await readFile(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const { cluster } of config.clusters) cluster.server = server;
  const path = `${kubeconfig}.${suffix}`;
  await writeFile(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return path;
}
