import { InvalidInputError } from '../../runners/shared/errors.js';
import type { DatabaseSecret } from './database-secret.js';
import type { SecretCache } from './secret-cache.js';

/** A CR's database Secret, or the problem (naming the field) that keeps the operator from using it. */
export async function resolveDatabase(secrets: SecretCache, namespace: string, spec: { database?: { secretRef: { name: string } } }): Promise<{ secret?: DatabaseSecret; specError?: string }> {
  if (!spec.database) return { specError: 'spec.database: Required value: the operator needs a database Secret (secretRef.name)' };
  try {
    return { secret: await secrets.get(namespace, spec.database.secretRef.name) };
  } catch (err) {
    if (err instanceof InvalidInputError) return { specError: err.message };
    throw err;
  }
}
