import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidInputError } from './errors.js';
import { createLogger } from './logger.js';

/** The database flags every command that connects shares. */
export interface DatabaseUrlFlags {
  databaseUrl?: string;
  databaseUrlFile?: string;
}

/** Declares --database-url and --database-url-file; `fallback` says what applies when neither is given. */
export function declareDatabaseUrlFlags(cmd: Command, fallback = 'DATABASE_URL, then the PG* variables'): Command {
  return cmd
    .option('--database-url <url>', `PostgreSQL URL (default: ${fallback}); a password here shows in the process list, so prefer the environment or --database-url-file`)
    .option('--database-url-file <path>', 'read the PostgreSQL URL from this file (a mounted Secret, say), so that no password is on the command line');
}

/**
 * The database URL by precedence: --database-url, then --database-url-file, then (when `fromEnv`) DATABASE_URL;
 * undefined leaves it to the PG* variables (or, for `bulkhead local`, to an embedded server). A password on the
 * command line is readable by every user of the machine in /proc/<pid>/cmdline, so it draws a warning in the log.
 */
export function resolveDatabaseUrl(flags: DatabaseUrlFlags, env: NodeJS.ProcessEnv, options: { fromEnv?: boolean; warn?: (line: string) => void } = {}): string | undefined {
  const { fromEnv = true, warn = (line: string) => createLogger('cli').warn({ event: 'password-on-command-line' }, line) } = options;
  if (flags.databaseUrl !== undefined && flags.databaseUrlFile !== undefined) throw new InvalidInputError('--database-url and --database-url-file: give one, not both');
  if (flags.databaseUrl !== undefined) {
    if (hasPassword(flags.databaseUrl)) {
      warn('--database-url carries a password, which any user of this machine can read in the process list; '
        + 'put the URL in DATABASE_URL or a file for --database-url-file, or the password in PGPASSWORD or ~/.pgpass');
    }
    return flags.databaseUrl;
  }
  if (flags.databaseUrlFile !== undefined) return readUrlFile(flags.databaseUrlFile);
  return fromEnv ? env.DATABASE_URL || undefined : undefined;
}

/** Whether a URL carries a password; one that does not parse is assumed to, so the warning errs on the safe side. */
function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return url.includes('@');
  }
}

function readUrlFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new InvalidInputError(`--database-url-file ${path}: cannot read it (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
  const url = text.trim();
  // The file's text is a credential: a message may say what is wrong with it, never quote it.
  if (url === '' || /\s/.test(url)) throw new InvalidInputError(`--database-url-file ${path}: expected one postgres:// URL on one line`);
  return url;
}
