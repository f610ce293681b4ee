import { InvalidInputError } from '../../runners/shared/errors.js';
import { SecretNotLabelledError, type DatabaseSecret } from './database-secret.js';
import type { SecretCache } from './secret-cache.js';

/** What stands between a CR and its database Secret. */
export interface ResolvedDatabase {
  secret?: DatabaseSecret;
  /** A problem with the spec or the Secret's content, naming the field. */
  specError?: string;
  /** The Secret exists but lacks the opt-in label; the message says which label to add. Labelling it lifts this. */
  secretRefused?: string;
}

/** A CR's database Secret, or the problem (naming the field) that keeps the operator from using it. */
export async function resolveDatabase(secrets: SecretCache, namespace: string, spec: { database?: { secretRef: { name: string } } }): Promise<ResolvedDatabase> {
  if (!spec.database) return { specError: 'spec.database: Required value: the operator needs a database Secret (secretRef.name)' };
  try {
    return { secret: await secrets.get(namespace, spec.database.secretRef.name) };
  } catch (err) {
    if (err instanceof SecretNotLabelledError) return { secretRefused: err.message };
    if (err instanceof InvalidInputError) return { specError: err.message };
    throw err;
  }
}
