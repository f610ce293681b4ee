import { test } from 'node:test';
import assert from 'node:assert/strict';
import { operatorConfig } from '../../operator/operator-config.js';
import { InvalidInputError } from '../../runners/shared/errors.js';
import { runCli } from '../harness/run-cli.js';

test("the Lease timings default to client-go's: lease 15 s, renew deadline 10 s, retry 2 s", () => {
  const { lease } = operatorConfig({}, { POD_NAMESPACE: 'ops' });
  assert.deepEqual(lease, { name: 'bulkhead-operator', namespace: 'ops', leaseSeconds: 15, renewDeadlineSeconds: 10, retrySeconds: 2 });
  const set = operatorConfig({ leaseSeconds: '6', renewDeadlineSeconds: '4', retrySeconds: '1' }, {}).lease;
  assert.deepEqual([set.leaseSeconds, set.renewDeadlineSeconds, set.retrySeconds], [6, 4, 1]);
});

test('a renew deadline not shorter than the lease, or a retry not shorter than the deadline, is refused', () => {
  const refused = (flags: Parameters<typeof operatorConfig>[0], message: RegExp) =>
    assert.throws(() => operatorConfig(flags, {}), (err) => err instanceof InvalidInputError && message.test(err.message));
  refused({ leaseSeconds: '10', renewDeadlineSeconds: '10' }, /--renew-deadline-seconds \(10\) must be less than --lease-seconds \(10\)/);
  refused({ renewDeadlineSeconds: '3', retrySeconds: '3' }, /--retry-seconds \(3\) must be less than --renew-deadline-seconds \(3\)/);
  refused({ leaseSeconds: '7.5' }, /--lease-seconds: expected a positive whole number, got "7.5"/);
});

test('bulkhead operator refuses such timings at start-up with exit 2, before it talks to any API server', async () => {
  const result = await runCli(['operator', '--leader-elect', '--lease-seconds', '5', '--renew-deadline-seconds', '8', '--kubeconfig', '/nonexistent']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /--renew-deadline-seconds \(8\) must be less than --lease-seconds \(5\)/);
});
