import type { CoreV1Api } from '@kubernetes/client-node';
import { InvalidInputError } from '../../runners/shared/errors.js';
import { httpStatus } from '../kube/api-errors.js';
import { checkSecretOptIn, readDatabaseSecret, type DatabaseSecret } from './database-secret.js';

const TTL_MS = 10_000;

/**
 * Database Secrets by namespace/name, read through the API and kept for 10 s (a rotated password is seen soon). Only
 * Secrets opted in with the label bulkhead.dev/database: "true" are used; a refusal is not kept, so a Secret labelled
 * later is used from the next reconcile (each CR is looked at again at least every --resync-seconds).
 */
export class SecretCache {
  private readonly entries = new Map<string, { at: number; value: Promise<DatabaseSecret> }>();

  constructor(private readonly core: CoreV1Api) {}

  /**
   * The parsed Secret, or InvalidInputError naming the CR field when it is missing or malformed, or
   * SecretNotLabelledError when it lacks the opt-in label.
   */
  get(namespace: string, name: string, field = 'spec.database.secretRef.name'): Promise<DatabaseSecret> {
    const key = `${namespace}/${name}`;
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
    const value = this.core.readNamespacedSecret({ namespace, name }).then(
      (secret) => {
        checkSecretOptIn(secret, field);
        return readDatabaseSecret(secret, field);
      },
      (err: unknown) => {
        if (httpStatus(err) === 404) throw new InvalidInputError(`${field}: Secret "${name}" not found in namespace ${namespace}`);
        throw err;
      },
    );
    this.entries.set(key, { at: Date.now(), value });
    value.catch(() => this.entries.delete(key));
    return value;
  }
}
