import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applicationLabel, foldApplications } from '../../operator/observer/application-label.js';
import { applicationName } from '../../runners/shared/connection.js';

test('application labels: bulkhead\'s own application_name is kept, anything a client chose is "other"', () => {
  const cases: [string, string][] = [
    ['bulkhead/worker/default/creatives', 'bulkhead/worker/default/creatives'],
    ['bulkhead/import/team-a/advertisers.2026', 'bulkhead/import/team-a/advertisers.2026'],
    ['bulkhead/operator/local/budget', 'bulkhead/operator/local/budget'],
    [applicationName('worker', 'a-rather-long-namespace-name', 'and-an-even-longer-stressrun-name'), applicationName('worker', 'a-rather-long-namespace-name', 'and-an-even-longer-stressrun-name')],
    ['req-8f3a1c user=alice@example.com', 'other'],
    ['psql', 'other'],
    ['', 'other'],
    ['bulkhead/admin/ns/x', 'other'],
    ['bulkhead/worker/NS/x', 'other'],
    ['bulkhead/worker/ns/x y', 'other'],
    ['bulkhead/worker/ns/x/extra', 'other'],
  ];
  for (const [name, label] of cases) assert.equal(applicationLabel(name), label, name);
});

test('folding a thousand distinct client application_names leaves two label values, with the counts summed', () => {
  const counts: Record<string, number> = { 'bulkhead/worker/ns/w': 2 };
  for (let i = 0; i < 1000; i++) counts[`req-${i} user=u${i}@example.com`] = 1;
  assert.deepEqual(foldApplications(counts), { 'bulkhead/worker/ns/w': 2, other: 1000 });
});

test('with the names the operator knows, a client that calls itself bulkhead/worker/<ns>/<random> is "other" too', () => {
  const counts: Record<string, number> = { 'bulkhead/worker/ns/w': 2 };
  for (let i = 0; i < 1000; i++) counts[`bulkhead/worker/ns/random-${i}`] = 1;
  assert.deepEqual(foldApplications(counts, (name) => name === 'bulkhead/worker/ns/w'), { 'bulkhead/worker/ns/w': 2, other: 1000 });
});
