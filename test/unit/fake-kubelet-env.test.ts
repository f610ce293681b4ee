import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { containerArgv, lastLine } from '../harness/kubelet/container-process.js';
import { ContainerConfigError, expandReferences, resolveContainerEnv, type ConfigSource } from '../harness/kubelet/container-env.js';
import { CLI } from '../harness/run-cli.js';

const pod: V1Pod = { metadata: { name: 'p-1', namespace: 'ns', uid: 'u-1', labels: { app: 'a' } }, spec: { nodeName: 'fake-kubelet', containers: [] } };

const source: ConfigSource = {
  secret: (_ns, name) => Promise.resolve(name === 'db' ? { data: { uri: Buffer.from('postgres://x').toString('base64') } } : undefined),
  configMap: (_ns, name) => Promise.resolve(name === 'cfg' ? { data: { MODE: 'fast' } } : undefined),
};

test('env comes from envFrom, then env in order, with $(VAR) references, Secret and ConfigMap keys and fieldRefs', async () => {
  const container: V1Container = {
    name: 'main',
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
    env: [
      { name: 'A', value: 'one' },
      { name: 'B', value: '$(A)-$(CFG_MODE)-$(MISSING)-$$(A)' },
      { name: 'URI', valueFrom: { secretKeyRef: { name: 'db', key: 'uri' } } },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'OPT', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } },
    ],
  };
  assert.deepEqual(await resolveContainerEnv(pod, container, source), {
    CFG_MODE: 'fast', A: 'one', B: 'one-fast-$(MISSING)-$(A)', URI: 'postgres://x', POD: 'p-1', APP: 'a',
  });
});

test('a missing Secret or key is a ContainerConfigError in the kubelet\'s words', async () => {
  const missing = (env: V1Container['env']) => resolveContainerEnv(pod, { name: 'main', env }, source);
  await assert.rejects(missing([{ name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } }]), new ContainerConfigError('secret "gone" not found'));
  await assert.rejects(missing([{ name: 'X', valueFrom: { secretKeyRef: { name: 'db', key: 'k' } } }]), new ContainerConfigError("couldn't find key k in Secret ns/db"));
});

test('bulkhead commands and commandless containers run the built CLI; others run as written', () => {
  assert.deepEqual(containerArgv({ name: 'm', command: ['bulkhead', 'import'], args: ['--table', '$(T)'] }, { T: 't1' }), [process.execPath, CLI, 'import', '--table', 't1']);
  assert.deepEqual(containerArgv({ name: 'm', args: ['worker'] }, {}), [process.execPath, CLI, 'worker']);
  assert.deepEqual(containerArgv({ name: 'm', command: ['sh', '-c'], args: ['echo hi'] }, {}), ['sh', '-c', 'echo hi']);
  assert.equal(expandReferences('$$$(A)', { A: 'x' }), '$x');
});

test('the termination message is the last non-empty stdout line, at most 4096 bytes', () => {
  assert.equal(lastLine('progress\n{"event":"summary"}\n\n'), '{"event":"summary"}');
  assert.equal(Buffer.byteLength(lastLine('x'.repeat(5000))), 4096);
  assert.equal(lastLine(''), '');
});
