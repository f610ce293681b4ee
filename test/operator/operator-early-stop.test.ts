/**
 * A SIGTERM before the operator's caches synced: against an API server address that accepts TCP and never answers,
 * the operator must stop cleanly at once (not at its 30 s hard deadline) and never claim the caches synced.
 * Needs no control plane: the silent server is a plain TCP listener in this process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../harness/run-cli.js';

let silent: Server;
const sockets: Socket[] = [];
let kubeconfig: string;

before(async () => {
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  kubeconfig = join(mkdtempSync(join(tmpdir(), 'bulkhead-early-stop-')), 'kubeconfig');
  writeFileSync(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{ name: silent, cluster: { server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]
users: [{ name: someone, user: { token: not-a-secret } }]
contexts: [{ name: silent, context: { cluster: silent, user: someone } }]
current-context: silent
`);
});

after(() => {
  sockets.forEach((s) => s.destroy());
  silent.close();
});

for (const flags of [[], ['--leader-elect']]) {
  test(`SIGTERM while the API server never answers (${flags.join(' ') || 'no leader election'}): a clean exit 143 within seconds, and no "caches synced"`, async () => {
    let signalledAt = 0;
    const result = await runCli(['operator', '--kubeconfig', kubeconfig, '--port', '0', ...flags], {
      onStderr: (text, child) => {
        // Two seconds after start-up, every watch (or the Lease) is stuck on its first request.
        if (signalledAt === 0 && text.includes('"event":"start"')) {
          signalledAt = -1;
          setTimeout(() => {
            signalledAt = Date.now();
            child.kill('SIGTERM');
          }, 2000);
        }
      },
    });
    const stoppedInMs = Date.now() - signalledAt;
    assert.equal(result.code, 143, result.stderr);
    assert.ok(sockets.length > 0, 'the operator did reach the silent server');
    assert.match(result.stderr, /"event":"stopped"/, 'a clean shutdown, not the hard deadline');
    assert.doesNotMatch(result.stderr, /caches synced|"event":"synced"/);
    // The hard deadline is 30 s; a clean stop takes well under a second, so 10 s leaves room for a busy machine.
    assert.ok(stoppedInMs < 10_000, `stopped ${stoppedInMs} ms after SIGTERM`);
  });
}
