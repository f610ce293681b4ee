// `npm start [-- flags]`: builds if any source is newer than the build, then runs the seed scenario with
// `bulkhead local examples/seed-scenario`, passing the flags on (for example `npm start -- --rows 3500000`).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'runners', 'cli.js');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return latest;
}

const built = (() => {
  try {
    return statSync(cli).mtimeMs;
  } catch {
    return 0;
  }
})();
const sources = Math.max(...['runners', 'operator', 'crds'].map(newest), statSync(join(root, 'package-lock.json')).mtimeMs);
if (sources > built) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const run = spawnSync(process.execPath, [cli, 'local', join('examples', 'seed-scenario'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? (run.signal === 'SIGINT' ? 130 : 1));
