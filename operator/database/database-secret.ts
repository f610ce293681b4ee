import type { V1Secret } from '@kubernetes/client-node';
import { InvalidInputError } from '../../runners/shared/errors.js';

/** A CR's database Secret as the operator understands it. The password stays inside `url`, never logged. */
export interface DatabaseSecret {
  name: string;
  /** Which keys it carries: `uri`, or the libpq keys. */
  form: 'uri' | 'libpq';
  /** A postgres:// URL built from either form, for the operator's own connections. */
  url: string;
  /** host:port, the budget's identity of the server. */
  server: string;
}

/**
 * The label a Secret must carry, with the value "true", before the operator uses it. RBAC lets the operator get any
 * Secret in a namespace it watches; this label is how a namespace's owners say which of them are database Secrets
 * meant for bulkhead, so that a CR cannot point the operator (and a runner pod) at any other Secret.
 */
export const DATABASE_SECRET_LABEL = 'bulkhead.dev/database';

/** The reason of the condition (and Event) that says a CR's database Secret lacks DATABASE_SECRET_LABEL. */
export const SECRET_NOT_LABELLED = 'SecretNotLabelled';

/** A Secret that lacks DATABASE_SECRET_LABEL: a CR names it, but it was not opted in. Its message says what to add. */
export class SecretNotLabelledError extends InvalidInputError {}

/** Refuses a Secret that was not opted in (labelled bulkhead.dev/database: "true"); the message names the label. */
export function checkSecretOptIn(secret: V1Secret, field: string): void {
  if (secret.metadata?.labels?.[DATABASE_SECRET_LABEL] === 'true') return;
  const name = secret.metadata?.name ?? '';
  const namespace = secret.metadata?.namespace ?? '';
  throw new SecretNotLabelledError(
    `${field}: Secret "${name}" lacks the label ${DATABASE_SECRET_LABEL}: "true" that lets bulkhead use it; ` +
      `add it with: kubectl label secret ${name}${namespace ? ` -n ${namespace}` : ''} ${DATABASE_SECRET_LABEL}=true`,
  );
}

/**
 * Reads a database Secret: the key `uri`, or host (required), port, dbname, user and password. Errors name the
 * Secret and key, never a value.
 */
export function readDatabaseSecret(secret: V1Secret, field: string): DatabaseSecret {
  const name = secret.metadata?.name ?? '';
  const data = secret.data ?? {};
  const value = (key: string) => (data[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString('utf8').trim());
  const uri = value('uri');
  if (uri !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      throw new InvalidInputError(`${field}: Secret ${name} key uri is not a URL`);
    }
    if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new InvalidInputError(`${field}: Secret ${name} key uri must start with postgres:// or postgresql://`);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return { name, form: 'uri', url: uri, server: `${host}:${parsed.port || '5432'}` };
  }
  const host = value('host');
  if (!host) throw new InvalidInputError(`${field}: Secret ${name} has neither the key uri nor the key host`);
  const port = value('port') || '5432';
  if (!/^\d+$/.test(port)) throw new InvalidInputError(`${field}: Secret ${name} key port is not a number`);
  const url = new URL('postgres://placeholder');
  url.hostname = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  url.port = port;
  url.pathname = `/${encodeURIComponent(value('dbname') ?? '')}`;
  url.username = encodeURIComponent(value('user') ?? '');
  url.password = encodeURIComponent(value('password') ?? '');
  return { name, form: 'libpq', url: url.toString(), server: `${host}:${port}` };
}
