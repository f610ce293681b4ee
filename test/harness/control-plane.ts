/**
 * A real Kubernetes control plane for the operator tests, in the spirit of controller-runtime's envtest: etcd,
 * kube-apiserver and kube-controller-manager (built by test/tools/build-tools.sh, found by tools.ts), each on free
 * loopback ports, with everything in one temp directory, and the CRDs from crds/ applied and Established.
 *
 * There is no scheduler and no kubelet: start a FakeKubelet (fake-kubelet.ts) to run pods. Only the controllers
 * that bulkhead's objects need run; podgc and nodelifecycle in particular would delete or evict the pods of a
 * node that has no real kubelet behind it.
 *
 * Authentication is one static token in the group system:masters. The kubeconfig holds it; it never goes to a log.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../runners/shared/embedded-postgres.js';
import { forgetDirectory, removeDirectoryOnCrash } from './child-processes.js';
import { kubectlFor } from './kubectl.js';
import { ServerProcess } from './server-process.js';
import { toolPath } from './tools.js';

/** The CRDs that every control plane serves. */
export const CRD_DIR = fileURLToPath(new URL('../../../crds/', import.meta.url));

/**
 * Controllers of kube-controller-manager that run: what Jobs and Deployments need (job, deployment, replicaset,
 * garbage-collector for owner references, ttl-after-finished), and what makes pods admissible in a new namespace
 * (serviceaccount creates the `default` ServiceAccount, root-ca-certificate-publisher the kube-root-ca.crt
 * ConfigMap; namespace deletes a deleted namespace's contents).
 */
export const DEFAULT_CONTROLLERS = [
  'job-controller', 'deployment-controller', 'replicaset-controller', 'garbage-collector-controller', 'ttl-after-finished-controller',
  'serviceaccount-controller', 'serviceaccount-token-controller', 'root-ca-certificate-publisher-controller', 'namespace-controller',
];

/** Options for startControlPlane(). */
export interface ControlPlaneOptions {
  /** kube-controller-manager's --controllers; default DEFAULT_CONTROLLERS. */
  controllers?: string[];
  /** Apply and wait for the CRDs in crds/ (default true). */
  installCrds?: boolean;
}

/** A running control plane. */
export interface ControlPlane {
  /** Path of a kubeconfig for the admin user (also what kubectl.ts uses). */
  kubeconfig: string;
  /** The API server's URL, https://127.0.0.1:port. */
  server: string;
  /** The admin bearer token. Never print it. */
  token: string;
  /** The temp directory: component logs, kubeconfig, pod logs of a fake kubelet started with it. */
  dir: string;
  /** Stops every component; removes the temp directory unless keepFiles (for a look after a failed test). */
  stop(options?: { keepFiles?: boolean }): Promise<void>;
  /** Stops kube-apiserver and starts it again on the same port with the same data; resolves once it is ready. */
  restartApiServer(): Promise<void>;
}

interface HttpAnswer {
  status: number;
  body: string;
}

/** A GET against the API server; the serving certificate is not checked, as with a kubelet's probes. */
function apiGet(url: string, token: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** etcd's /health over plain http. */
async function etcdHealthy(clientUrl: string): Promise<boolean> {
  const res = await fetch(`${clientUrl}/health`);
  return res.ok && ((await res.json()) as { health?: string }).health === 'true';
}

function kubeconfigFor(server: string, caFile: string, token: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'bulkhead-test', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'admin', user: { token } }],
    contexts: [{ name: 'bulkhead-test', context: { cluster: 'bulkhead-test', user: 'admin', namespace: 'default' } }],
    'current-context': 'bulkhead-test',
  }, null, 2);
}

/** Starts etcd, kube-apiserver and kube-controller-manager, and installs the CRDs. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'bulkhead-cp-'));
  removeDirectoryOnCrash(dir);
  const servers: ServerProcess[] = [];
  const stopAll = async (keepFiles: boolean) => {
    for (const s of servers.reverse()) await s.stop();
    if (keepFiles) {
      forgetDirectory(dir);
      process.stderr.write(`control plane files kept in ${dir}\n`);
    } else {
      await rm(dir, { recursive: true, force: true });
      forgetDirectory(dir);
    }
  };
  try {
    // freePort() may hand out the same port twice in a row (each probe closes before the next): ask until three differ.
    const ports = new Set<number>();
    while (ports.size < 3) ports.add(await freePort());
    const [etcdPort, etcdPeerPort, apiPort] = [...ports];
    const token = randomBytes(24).toString('hex');
    const saKey = join(dir, 'service-account.key');
    const tokenFile = join(dir, 'tokens.csv');
    const certDir = join(dir, 'apiserver-certs');
    const kubeconfig = join(dir, 'kubeconfig');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    await writeFile(saKey, privateKey, { mode: 0o600 });
    await writeFile(tokenFile, `${token},admin,admin,system:masters\n`, { mode: 0o600 });

    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = new ServerProcess({
      name: 'etcd',
      command: toolPath('etcd'),
      args: [
        '--data-dir', join(dir, 'etcd'), '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
        '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `default=${peerUrl}`,
        // Test data is thrown away; fsync on every write only slows the shared machine down.
        '--unsafe-no-fsync',
      ],
      logFile: join(dir, 'etcd.log'),
      ready: () => etcdHealthy(etcdUrl),
      readyTimeoutMs: 30_000,
    });
    servers.push(etcd);
    await etcd.start();

    const server = `https://127.0.0.1:${apiPort}`;
    const apiServer = new ServerProcess({
      name: 'kube-apiserver',
      command: toolPath('kube-apiserver'),
      args: [
        '--etcd-servers', etcdUrl, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1',
        // No Endpoints for the kubernetes Service: the advertised address is not routable from pods anyway.
        '--endpoint-reconciler-type=none', `--secure-port=${apiPort}`, '--cert-dir', certDir,
        '--service-account-issuer=https://kubernetes.default.svc', '--service-account-key-file', saKey,
        '--service-account-signing-key-file', saKey, '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC', '--token-auth-file', tokenFile,
      ],
      logFile: join(dir, 'kube-apiserver.log'),
      ready: async () => (await apiGet(`${server}/readyz`, token)).status === 200,
      readyTimeoutMs: 120_000,
    });
    servers.push(apiServer);
    await apiServer.start();
    // kube-apiserver writes a self-signed serving certificate followed by its CA; the pair is a valid CA bundle.
    const caFile = join(certDir, 'apiserver.crt');
    await writeFile(kubeconfig, kubeconfigFor(server, caFile, token), { mode: 0o600 });

    const controllerManager = new ServerProcess({
      name: 'kube-controller-manager',
      command: toolPath('kube-controller-manager'),
      args: [
        '--kubeconfig', kubeconfig, '--leader-elect=false', '--use-service-account-credentials',
        '--root-ca-file', caFile, '--service-account-private-key-file', saKey,
        `--controllers=${(options.controllers ?? DEFAULT_CONTROLLERS).join(',')}`,
        // No serving port: several control planes run side by side, and nothing scrapes it.
        '--secure-port=0',
      ],
      logFile: join(dir, 'kube-controller-manager.log'),
      // The serviceaccount controller creating default/default shows that the controllers run, and pods in the
      // default namespace are admissible only from then on.
      ready: async () => (await apiGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, token)).status === 200,
      readyTimeoutMs: 120_000,
    });
    servers.push(controllerManager);
    await controllerManager.start();

    if (options.installCrds ?? true) await installCrds(kubeconfig);

    return {
      kubeconfig,
      server,
      token,
      dir,
      stop: (stopOptions) => stopAll(stopOptions?.keepFiles ?? false),
      restartApiServer: async () => {
        // With watches open (the controller manager's, a kubelet's, an operator's), kube-apiserver does not exit on
        // SIGTERM for a long while; 2 s is ample for it to stop serving and close its connections.
        await apiServer.stop(2000);
        await apiServer.start();
      },
    };
  } catch (e) {
    await stopAll(true);
    throw e;
  }
}

/** kubectl apply -f crds/, then waits until every CRD there is Established. */
export async function installCrds(kubeconfig: string): Promise<void> {
  const k = kubectlFor(kubeconfig);
  for (const args of [['apply', '-f', CRD_DIR], ['wait', '--for=condition=Established', '--timeout=60s', '-f', CRD_DIR]]) {
    const result = await k.kubectl(args);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  }
}
