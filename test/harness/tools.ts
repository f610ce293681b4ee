/**
 * Where the test suites find the binaries that test/tools/build-tools.sh builds from Go modules:
 * KUBEBUILDER_ASSETS (for kube-apiserver, etcd and kube-controller-manager) wins, then the cache under
 * $BULKHEAD_CACHE or ~/.cache/bulkhead/bin. kubectl comes from PATH.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The folder that build-tools.sh writes into. */
export function toolCacheDir(): string {
  return join(process.env.BULKHEAD_CACHE ?? join(homedir(), '.cache', 'bulkhead'), 'bin');
}

/** The absolute path of a tool, or an error that says how to get it. */
export function toolPath(name: string): string {
  if (name === 'kubectl') return 'kubectl';
  const dirs = [process.env.KUBEBUILDER_ASSETS, toolCacheDir()].filter((d): d is string => !!d);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} not found in ${dirs.join(' or ')}: run bash test/tools/build-tools.sh (or set KUBEBUILDER_ASSETS)`);
}
