/**
 * A container's environment, resolved as the kubelet resolves it: `envFrom` first (Secrets and ConfigMaps, with
 * their prefix), then `env` in order (`value` with $(VAR) references to earlier variables, `valueFrom` secretKeyRef,
 * configMapKeyRef and fieldRef). A Secret, ConfigMap or key that is missing and not optional is a
 * ContainerConfigError, which the kubelet reports as the waiting reason CreateContainerConfigError.
 */
import type { V1ConfigMap, V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';

/** Reads Secrets and ConfigMaps; undefined when the object does not exist. */
export interface ConfigSource {
  secret(namespace: string, name: string): Promise<V1Secret | undefined>;
  configMap(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
}

/** The container cannot start until its configuration exists; the message is the kubelet's wording. */
export class ContainerConfigError extends Error {}

type KeyValues = Record<string, string>;

type Kind = 'Secret' | 'ConfigMap';

/** Plain values and base64 values (a Secret's data, a ConfigMap's binaryData) as one map of text. */
function decoded(plain: KeyValues | undefined, base64: KeyValues | undefined): KeyValues {
  const data: KeyValues = { ...plain };
  for (const [key, value] of Object.entries(base64 ?? {})) data[key] = Buffer.from(value, 'base64').toString('utf8');
  return data;
}

/** The keys of a Secret or ConfigMap; undefined when it does not exist. */
async function readData(source: ConfigSource, kind: Kind, namespace: string, name: string): Promise<KeyValues | undefined> {
  if (kind === 'Secret') {
    const secret = await source.secret(namespace, name);
    return secret && decoded(secret.stringData, secret.data);
  }
  const configMap = await source.configMap(namespace, name);
  return configMap && decoded(configMap.data, configMap.binaryData);
}

/** The value of one key of a Secret or ConfigMap, with the kubelet's error messages; undefined if optional and absent. */
function keyValue(kind: Kind, data: KeyValues | undefined, ref: { namespace: string; name: string; key: string; optional: boolean }): string | undefined {
  if (!data) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`${kind.toLowerCase()} "${ref.name}" not found`);
  }
  const value = data[ref.key];
  if (value === undefined && !ref.optional) throw new ContainerConfigError(`couldn't find key ${ref.key} in ${kind} ${ref.namespace}/${ref.name}`);
  return value;
}

/** metadata.labels['a'] and metadata.annotations['a'] paths. */
const MAP_FIELD = /^metadata\.(labels|annotations)\['(.+)'\]$/;

/** A downward-API fieldRef, for the fields a process on this machine can have. */
export function fieldValue(pod: V1Pod, fieldPath: string): string {
  const mapField = MAP_FIELD.exec(fieldPath);
  if (mapField) {
    const map = mapField[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[mapField[2] ?? ''] ?? '';
  }
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.podIP': '127.0.0.1',
    'status.hostIP': '127.0.0.1',
  };
  if (!(fieldPath in fields)) throw new ContainerConfigError(`fake-kubelet does not support fieldRef ${fieldPath}`);
  return fields[fieldPath] ?? '';
}

/**
 * Expands $(NAME) from vars; $$ is a literal $, and a reference to an unknown name stays as written. This is the
 * kubelet's expansion for env values, command and args.
 */
export function expandReferences(text: string, vars: KeyValues): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    return vars[name] ?? match;
  });
}

/** Resolves the environment of one container of a pod; throws ContainerConfigError when it cannot start yet. */
export async function resolveContainerEnv(pod: V1Pod, container: V1Container, source: ConfigSource): Promise<KeyValues> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const env: KeyValues = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const kind = from.secretRef ? 'Secret' : 'ConfigMap';
    const name = ref.name ?? '';
    const data = await readData(source, kind, namespace, name);
    if (!data) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind.toLowerCase()} "${name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) env[`${from.prefix ?? ''}${key}`] = value;
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    let value: string | undefined;
    if (!from) value = expandReferences(variable.value ?? '', env);
    else if (from.secretKeyRef) {
      const { name = '', key, optional } = from.secretKeyRef;
      value = keyValue('Secret', await readData(source, 'Secret', namespace, name), { namespace, name, key, optional: !!optional });
    } else if (from.configMapKeyRef) {
      const { name = '', key, optional } = from.configMapKeyRef;
      value = keyValue('ConfigMap', await readData(source, 'ConfigMap', namespace, name), { namespace, name, key, optional: !!optional });
    } else if (from.fieldRef) value = fieldValue(pod, from.fieldRef.fieldPath);
    else throw new ContainerConfigError(`fake-kubelet does not support env ${variable.name}'s valueFrom`);
    if (value !== undefined) env[variable.name] = value;
  }
  return env;
}
