import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { InvalidInputError } from '../shared/errors.js';

/**
 * Why a path may not be looked up under a mount; undefined when it may. The CRD's CEL rules refuse the same
 * (crds/bulkhead.dev_csvimports.yaml); the runner checks again, since it also takes specs from elsewhere.
 */
export function unsafeRelativePath(path: string): string | undefined {
  if (path === '') return 'is empty';
  if (path.includes('\0')) return 'has a NUL character';
  if (path.startsWith('/')) return 'must be relative to the root of the volume (no leading /)';
  const segments = path.split('/');
  if (segments.includes('..')) return 'must not have a .. segment';
  if (segments.includes('')) return 'must not have an empty segment (// or a trailing /)';
  return undefined;
}

/**
 * The real path of `path` under `dir`, symbolic links followed, refused (exit 2) when it leads outside `dir`: a
 * link on a volume may point anywhere in the runner's file system. Messages name the source by `label`, as the
 * user wrote it, never by the path in the pod, and carry no cause (its message would name that path).
 */
export async function resolveInside(dir: string, path: string, label: string): Promise<string> {
  const problem = unsafeRelativePath(path);
  if (problem) throw new InvalidInputError(`${label}: the path ${problem}`);
  let root: string;
  let real: string;
  try {
    root = await realpath(dir);
    real = await realpath(join(root, path));
  } catch (err) {
    throw new InvalidInputError(`${label}: cannot read the CSV file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const inside = relative(root, real);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new InvalidInputError(`${label}: the path leads outside the volume through a symbolic link; refused`);
  }
  return real;
}
