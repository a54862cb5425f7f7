/**
 * A throwaway Kubernetes control plane for tests: etcd, kube-apiserver and (when the binary is
 * there) kube-controller-manager on free loopback ports, with RBAC, service-account token
 * signing and an admin client certificate, all under one temp folder removed on stop.
 *
 * Fault tests can stop, kill, restart, freeze (SIGSTOP) and thaw (SIGCONT) each component on
 * its own: a restarted etcd reopens the same data dir, a restarted API server the same port
 * and certificates, so the cluster's objects survive.
 *
 * kube-controller-manager runs only the controllers tests rely on: garbage collection (owner
 * references cascade), namespace finalization (a deleted namespace goes away rather than staying
 * Terminating), the service-account controller (each namespace gets its `default` SA), and the
 * deployment, replica-set and job controllers, so workload status (conditions, replica counts,
 * progress deadlines, Job deadlines) is written by the real controllers. With no kubelet and no
 * scheduler, pods stay Pending: a Deployment never becomes available (unless it has 0 replicas),
 * and `progressDeadlineSeconds` makes the controller report `ProgressDeadlineExceeded`.
 */
import { request } from 'node:https';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureControlPlane, type ControlPlaneBinaries } from './binaries.js';
import { createCa, rsaKeyPair, signLeaf, type CertifiedKey } from './pki.js';
import { freePort, sleep, spawnLogged, stopProcess, tailLog, type LoggedProcess } from './process.js';

/** The service-account issuer (and default API audience) of every test control plane. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** Start kube-controller-manager when its binary is found (default true). */
  controllerManager?: boolean;
  /** Give up waiting for `/readyz` after this long (default 180 s: a loaded 2-core box is slow). */
  readyTimeoutMs?: number;
  /** Use these binaries instead of looking them up. */
  binaries?: ControlPlaneBinaries;
  /** Keep the temp folder (logs, certificates) after stop, for debugging. */
  keepDir?: boolean;
  /**
   * Write an audit log of every write request (who, what, when received) to `auditLogPath`:
   * fault tests read it to prove that two agents never wrote at once.
   */
  audit?: boolean;
}

/** A running control plane. */
export interface ControlPlane {
  /** `https://127.0.0.1:PORT`. */
  server: string;
  /** The admin kubeconfig (user `sealops-admin`, group `system:masters`) as YAML. */
  kubeconfig: string;
  /** Where that kubeconfig is written inside the temp folder. */
  kubeconfigPath: string;
  /** The temp folder holding data, certificates and logs. */
  dir: string;
  /** The CA that signed the serving and client certificates (PEM). */
  caPem: string;
  /** True when kube-controller-manager is running. */
  controllerManager: boolean;
  /** Stops every process (controller manager, API server, then etcd) and removes the temp folder. */
  stop(): Promise<void>;
  /**
   * Stops one component (SIGTERM, or SIGKILL with `kill`) and keeps its data: etcd's data dir,
   * certificates and ports stay, so {@link ControlPlane.start} brings the same cluster back.
   */
  stopComponent(name: Component, how?: { kill?: boolean }): Promise<void>;
  /** Starts a stopped component again with the same flags, ports and data; waits until it is healthy. */
  start(name: Component): Promise<void>;
  /** Freezes a component (SIGSTOP): its sockets stay open, nothing answers. */
  freeze(name: Component): void;
  /** Resumes a frozen component (SIGCONT). */
  thaw(name: Component): void;
  /** The process id of a running component. */
  pid(name: Component): number | undefined;
  /** The audit log (JSON lines) when started with `audit`. */
  auditLogPath?: string;
  /** A kubeconfig for another user (client certificate signed by the cluster's CA). */
  userKubeconfig(user: string, groups: string[]): string;
}

/** Audit policy: every write at Metadata level, reads not at all. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  verbs: [get, list, watch]
- level: Metadata
`;

/** The components of a test control plane. */
export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';

function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}

/** A kubeconfig for `server` that authenticates with a client certificate. */
export function certKubeconfig(server: string, caPem: string, user: string, client: CertifiedKey): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: sealops-test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(caPem)}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate-data: ${b64(client.certPem)}`,
    `    client-key-data: ${b64(client.keyPem)}`,
    'contexts:',
    `- name: ${user}@sealops-test`,
    '  context:',
    '    cluster: sealops-test',
    `    user: ${user}`,
    `current-context: ${user}@sealops-test`,
    '',
  ].join('\n');
}

/** GET `path` with the admin certificate; resolves with the status and body. */
function adminGet(server: string, path: string, ca: string, client: CertifiedKey): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server}${path}`,
      { ca, cert: client.certPem, key: client.keyPem, timeout: 5_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

function startFailure(what: string, proc: LoggedProcess, detail: string): Error {
  return new Error(`failed to start ${what}: ${detail}\n--- last lines of ${proc.logFile} ---\n${tailLog(proc.logFile)}`);
}

async function waitForEtcd(etcd: LoggedProcess, clientUrl: string, deadline: number): Promise<void> {
  for (;;) {
    if (etcd.hasExited()) throw startFailure('etcd', etcd, `it exited (${String(await etcd.exited)})`);
    try {
      const res = await fetch(`${clientUrl}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw startFailure('etcd', etcd, 'no healthy /health in time');
    await sleep(200);
  }
}

async function waitForApiserver(
  apiserver: LoggedProcess,
  server: string,
  ca: string,
  admin: CertifiedKey,
  deadline: number,
): Promise<void> {
  let last = 'no answer yet';
  for (;;) {
    if (apiserver.hasExited()) throw startFailure('kube-apiserver', apiserver, `it exited (${String(await apiserver.exited)})`);
    try {
      const res = await adminGet(server, '/readyz', ca, admin);
      if (res.status === 200) return;
      last = `/readyz answered ${res.status}: ${res.body.split('\n').filter((l) => l.includes('[-]')).join('; ')}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw startFailure('kube-apiserver', apiserver, `not ready in time (${last})`);
    await sleep(300);
  }
}

/**
 * Starts etcd and kube-apiserver (and kube-controller-manager), waits until `/readyz` answers
 * 200, and returns the admin kubeconfig. On any failure everything started is stopped again and
 * the error carries the tail of the failing process's log.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binaries = options.binaries ?? (await ensureControlPlane());
  // A port probed free can be taken by another process before etcd or the API server binds it;
  // that is the one failure worth a fresh attempt with new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binaries, options);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/i.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(binaries: ControlPlaneBinaries, options: ControlPlaneOptions): Promise<ControlPlane> {
  const deadline = Date.now() + (options.readyTimeoutMs ?? 180_000);
  const dir = mkdtempSync(join(tmpdir(), 'sealops-cp-'));
  const pki = join(dir, 'pki');
  mkdirSync(pki, { mode: 0o700 });
  // Every component, in start order, with how to launch it again on the same data.
  const components = new Map<Component, { proc?: LoggedProcess; launch: () => Promise<LoggedProcess>; frozen: boolean }>();
  const running = (): LoggedProcess[] => [...components.values()].flatMap((c) => (c.proc && !c.proc.hasExited() ? [c.proc] : []));
  // If the test runner dies without calling stop(), take the children down with it rather than
  // leaving an API server and etcd running on the machine.
  const killAll = (): void => {
    for (const proc of running()) proc.child.kill('SIGKILL');
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killAll);

  const component = (name: Component): { proc?: LoggedProcess; launch: () => Promise<LoggedProcess>; frozen: boolean } => {
    const c = components.get(name);
    if (!c) throw new Error(`failed to find component ${name}: it is not part of this control plane`);
    return c;
  };
  const thaw = (name: Component): void => {
    const c = component(name);
    if (c.proc && !c.proc.hasExited()) c.proc.child.kill('SIGCONT');
    c.frozen = false;
  };
  const stopComponent = async (name: Component, how: { kill?: boolean } = {}): Promise<void> => {
    const c = component(name);
    if (!c.proc || c.proc.hasExited()) return;
    // A stopped process cannot act on SIGTERM: wake it first.
    if (c.frozen) thaw(name);
    if (how.kill) {
      c.proc.child.kill('SIGKILL');
      await c.proc.exited;
    } else await stopProcess(c.proc);
  };
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killAll);
    // Reverse order: clients of etcd first, so nothing logs a storm of connection errors.
    for (const name of [...components.keys()].reverse()) await stopComponent(name);
    components.clear();
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  const add = async (name: Component, launch: () => Promise<LoggedProcess>): Promise<void> => {
    const entry: { proc?: LoggedProcess; launch: () => Promise<LoggedProcess>; frozen: boolean } = { launch, frozen: false };
    components.set(name, entry);
    entry.proc = await launch();
  };
  const start = async (name: Component): Promise<void> => {
    const c = component(name);
    if (c.proc && !c.proc.hasExited()) return;
    c.frozen = false;
    c.proc = await c.launch();
  };

  try {
    const ca = createCa();
    const serving = signLeaf(ca, 'kube-apiserver', {
      kind: 'server',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
      ipAddresses: ['127.0.0.1'],
    });
    const admin = signLeaf(ca, 'sealops-admin', { kind: 'client', organizations: ['system:masters'] });
    const sa = rsaKeyPair();
    const files = {
      ca: join(pki, 'ca.crt'),
      servingCert: join(pki, 'apiserver.crt'),
      servingKey: join(pki, 'apiserver.key'),
      saPub: join(pki, 'sa.pub'),
      saKey: join(pki, 'sa.key'),
    };
    writeFileSync(files.ca, ca.certPem);
    writeFileSync(files.servingCert, serving.certPem);
    writeFileSync(files.servingKey, serving.keyPem, { mode: 0o600 });
    writeFileSync(files.saPub, sa.publicPem);
    writeFileSync(files.saKey, sa.privatePem, { mode: 0o600 });

    const auditPolicy = join(dir, 'audit-policy.yaml');
    const auditLogPath = join(dir, 'audit.log');
    if (options.audit) writeFileSync(auditPolicy, AUDIT_POLICY);
    const [etcdClient, etcdPeer, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const launchEtcd = async (): Promise<LoggedProcess> => {
      const etcd = spawnLogged(
        'etcd',
        binaries.etcd,
        [
          '--name=default',
          `--data-dir=${join(dir, 'etcd')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
          // Test data is disposable: skipping fsync makes every write far cheaper.
          '--unsafe-no-fsync=true',
          '--log-level=warn',
        ],
        join(dir, 'etcd.log'),
      );
      await waitForEtcd(etcd, etcdUrl, Math.max(deadline, Date.now() + 60_000));
      return etcd;
    };
    await add('etcd', launchEtcd);

    const server = `https://127.0.0.1:${apiPort}`;
    const launchApiserver = async (): Promise<LoggedProcess> => {
      const apiserver = spawnLogged(
        'kube-apiserver',
        binaries.kubeApiserver,
        [
          `--etcd-servers=${etcdUrl}`,
          `--cert-dir=${join(dir, 'apiserver-certs')}`,
          `--tls-cert-file=${files.servingCert}`,
          `--tls-private-key-file=${files.servingKey}`,
          `--secure-port=${apiPort}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          '--authorization-mode=RBAC',
          `--client-ca-file=${files.ca}`,
          `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
          `--api-audiences=${SERVICE_ACCOUNT_ISSUER}`,
          `--service-account-key-file=${files.saPub}`,
          `--service-account-signing-key-file=${files.saKey}`,
          '--service-cluster-ip-range=10.0.0.0/24',
          '--allow-privileged=true',
          // No kubelet runs pods here; the ServiceAccount admission plugin would only get in the way.
          '--disable-admission-plugins=ServiceAccount',
          ...(options.audit ? [`--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLogPath}`, '--audit-log-mode=blocking', '--audit-log-maxbackup=0'] : []),
          '--v=1',
        ],
        join(dir, 'kube-apiserver.log'),
      );
      await waitForApiserver(apiserver, server, ca.certPem, admin, Math.max(deadline, Date.now() + 180_000));
      return apiserver;
    };
    await add('kube-apiserver', launchApiserver);

    const kubeconfig = certKubeconfig(server, ca.certPem, 'sealops-admin', admin);
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });

    let withControllerManager = false;
    const kcmBinary = binaries.kubeControllerManager;
    if ((options.controllerManager ?? true) && kcmBinary) {
      // Its own identity; system:masters keeps the controllers free of RBAC set-up here.
      const kcmCert = signLeaf(ca, 'system:kube-controller-manager', { kind: 'client', organizations: ['system:masters'] });
      const kcmConfig = join(dir, 'controller-manager.kubeconfig');
      writeFileSync(kcmConfig, certKubeconfig(server, ca.certPem, 'system:kube-controller-manager', kcmCert), { mode: 0o600 });
      const launchKcm = async (): Promise<LoggedProcess> => {
        const kcm = spawnLogged(
          'kube-controller-manager',
          kcmBinary,
          [
            `--kubeconfig=${kcmConfig}`,
            '--controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller,deployment-controller,replicaset-controller,job-controller',
            '--leader-elect=false',
            '--secure-port=0',
            `--root-ca-file=${files.ca}`,
            '--v=1',
          ],
          join(dir, 'kube-controller-manager.log'),
        );
        // It has no readiness endpoint with --secure-port=0; a prompt exit means bad flags.
        await sleep(500);
        if (kcm.hasExited()) throw startFailure('kube-controller-manager', kcm, `it exited (${String(await kcm.exited)})`);
        return kcm;
      };
      await add('kube-controller-manager', launchKcm);
      withControllerManager = true;
    }

    return {
      server,
      kubeconfig,
      kubeconfigPath,
      dir,
      caPem: ca.certPem,
      controllerManager: withControllerManager,
      stop,
      stopComponent,
      start,
      freeze: (name) => {
        const c = component(name);
        if (!c.proc || c.proc.hasExited()) throw new Error(`failed to freeze ${name}: it is not running`);
        c.proc.child.kill('SIGSTOP');
        c.frozen = true;
      },
      thaw,
      ...(options.audit ? { auditLogPath } : {}),
      userKubeconfig: (user, groups) => certKubeconfig(server, ca.certPem, user, signLeaf(ca, user, { kind: 'client', organizations: groups })),
      pid: (name) => {
        const c = components.get(name);
        return c?.proc && !c.proc.hasExited() ? c.proc.child.pid : undefined;
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
