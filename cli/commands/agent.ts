/**
 * `sealops agent [--once] [--kubeconfig FILE] [--namespace NS]`: the in-cluster sync agent.
 * In long-running mode the leader creates the keys Secret when it is missing (`--no-generate-keys`
 * turns that off; `--once` generates only with `--generate-keys`) and every replica serves the
 * public halves on `/v1/cert.pem` and `/v1/recipients`.
 * JSON logs go to stderr; `--once` prints one summary line per Sync to stdout and exits 1 when
 * any Sync failed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import {
  AgentMetrics,
  Controller,
  KubeClient,
  Logger,
  UsageError,
  loadKubeConfig,
  reconcileAllOnce,
  startHealthServer,
  EXIT_FINDINGS,
  KubeError,
  LeaderElector,
  normalizeRepoUrl,
  describeError as describe,
  ensureClusterKeys,
  type PublicKeys,
} from '../../src/index.js';
import { hostname } from 'node:os';

interface AgentOptions {
  once?: boolean;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  watchLabelSelector?: string;
  defaultServiceAccount?: string;
  agentNamespace?: string;
  workDir?: string;
  listen?: string;
  concurrency?: string;
  leaderElect?: boolean;
  generateKeys?: boolean;
  kustomize?: string;
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function agentNamespace(opts: AgentOptions, io: CliIo): string {
  if (opts.agentNamespace) return opts.agentNamespace;
  if (io.env.SEALOPS_NAMESPACE) return io.env.SEALOPS_NAMESPACE;
  if (existsSync(SA_NAMESPACE_FILE)) return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim();
  return 'sealops-system';
}

/** Registers `sealops agent`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('agent')
    .description('Sync Git repositories into the cluster: pull, unseal in memory, server-side apply, prune, report.')
    .option('--once', 'reconcile every Sync once and exit (non-zero when any failed)')
    .option('--kubeconfig <FILE>', 'kubeconfig to use (default: in-cluster service account, then $KUBECONFIG, ~/.kube/config)')
    .option('--context <NAME>', 'kubeconfig context to use (default: current-context)')
    .option('--namespace <NS>', 'reconcile only the Syncs in this namespace (default: all namespaces)')
    .option('--watch-label-selector <SELECTOR>', 'reconcile only the Syncs whose labels match (a shard, e.g. sealops.dev/shard=a)')
    .option('--default-service-account <NAME>', "impersonate this ServiceAccount of each Sync's namespace for Syncs without spec.serviceAccountName")
    .option('--agent-namespace <NS>', "namespace of the agent's keys Secret sealops-keys (default: $SEALOPS_NAMESPACE, the pod's namespace, sealops-system)")
    .option('--work-dir <DIR>', 'private folder for fetched repositories (default: $SEALOPS_WORK_DIR or a temp folder)')
    .option('--listen <PORT>', 'serve /healthz, /readyz, /metrics, /v1/cert.pem and /v1/recipients on this port (long-running mode only)', '8080')
    .option('--concurrency <N>', 'parallel API requests during apply', '8')
    .option('--kustomize <PATH>', 'kustomize binary (default: $SEALOPS_KUSTOMIZE, then kustomize on PATH)')
    .option('--generate-keys', 'create the keys Secret sealops-keys with a new key set when it is missing (default in long-running mode, by the leader only)')
    .option('--no-generate-keys', 'never create the keys Secret (default with --once)')
    .option('--no-leader-elect', 'do not take the Lease sealops-agent in the agent namespace before reconciling (long-running mode)')
    .action(async (opts: AgentOptions) => {
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError('failed to parse --concurrency: give an integer from 1 to 64');
      const port = Number(opts.listen);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('failed to parse --listen: give a port number');
      let client: KubeClient;
      try {
        client = new KubeClient(loadKubeConfig({ kubeconfig: opts.kubeconfig, context: opts.context, env: io.env }));
      } catch (err) {
        throw new KubeError(`failed to load kubeconfig: ${describe(err)}`, { cause: err });
      }
      const log = new Logger((line) => void io.stderr.write(line), { component: 'agent' });
      const base = {
        client,
        log,
        agentNamespace: agentNamespace(opts, io),
        namespace: opts.namespace,
        labelSelector: opts.watchLabelSelector,
        defaultServiceAccount: opts.defaultServiceAccount,
        workRoot: opts.workDir ?? io.env.SEALOPS_WORK_DIR ?? join(tmpdir(), 'sealops-agent'),
        concurrency,
        ...(opts.kustomize ?? io.env.SEALOPS_KUSTOMIZE ? { kustomize: { binary: opts.kustomize ?? io.env.SEALOPS_KUSTOMIZE } } : {}),
      };
      try {
        if (opts.once) {
          // --once is read-only unless asked: a CI run must not mint a cluster's keys by accident.
          if (opts.generateKeys === true) {
            const keys = await ensureClusterKeys(client, base.agentNamespace, { generate: true, publish: true, log });
            log.info('cluster keys published', { recipients: keys.recipients.length, certificates: keys.certificates.length });
          }
          let results;
          try {
            results = await reconcileAllOnce(base);
          } catch (err) {
            throw new KubeError(`failed to list Syncs: ${describe(err)}`, { cause: err });
          }
          for (const { sync, outcome } of results) {
            io.stdout.write(`${sync}\t${outcome.ok ? 'Ready' : 'Failed'}\t${outcome.reason}\t${outcome.revision ?? ''}\n`);
          }
          if (results.some((r) => !r.outcome.ok)) io.exitCode = EXIT_FINDINGS;
          return;
        }
        const metrics = new AgentMetrics();
        const elector =
          opts.leaderElect === false
            ? undefined
            : new LeaderElector(client, { namespace: base.agentNamespace, identity: io.env.POD_NAME ?? `${hostname()}-${process.pid}` });
        const controller = new Controller({
          ...base,
          canReconcile: elector ? () => elector.isLeader() : undefined,
          onOutcome: (s, o, ms) => metrics.observe(`${s.metadata.namespace}/${s.metadata.name}`, o.reason, o.ok, ms),
        });
        let leading = false;
        const renew = async (): Promise<void> => {
          if (!elector) return;
          try {
            const now = await elector.tryAcquireOrRenew();
            if (now !== leading) log.info(now ? 'became leader' : 'lost leadership', { lease: `${base.agentNamespace}/sealops-agent` });
            leading = now;
          } catch (err) {
            log.warn('failed to renew leader lease', { error: describe(err) });
          }
        };
        // Only the leader writes (creates the keys Secret, applies the public ConfigMap); every
        // replica reads the Secret to serve the public halves. Re-read now and then, so keys
        // added by a rotation get published.
        let publicKeys: PublicKeys | undefined;
        let refreshing = false;
        const refreshKeys = async (): Promise<void> => {
          if (refreshing) return;
          refreshing = true;
          try {
            const leader = !elector || elector.isLeader();
            const found = await ensureClusterKeys(client, base.agentNamespace, { generate: opts.generateKeys !== false && leader, publish: leader, log });
            if (found.found) publicKeys = found;
          } catch (err) {
            log.warn('failed to load or publish the cluster keys', { error: describe(err) });
          } finally {
            refreshing = false;
          }
        };
        await renew();
        void refreshKeys();
        const keysTimer = setInterval(() => void refreshKeys(), 60_000);
        const renewTimer = setInterval(() => {
          const before = leading;
          void renew().then(() => {
            if (!before && leading) void refreshKeys();
          });
        }, 5000);
        const hookSecret = io.env.SEALOPS_WEBHOOK_SECRET;
        const server = await startHealthServer({
          port,
          isReady: () => controller.ready,
          metrics,
          apiRequests: () => client.requests,
          publicKeys: () => publicKeys,
          webhook: hookSecret ? { secret: Buffer.from(hookSecret, 'utf8'), onPush: (urls) => controller.trigger(urls, normalizeRepoUrl) } : undefined,
        });
        controller.start();
        log.info('agent started', { namespace: opts.namespace ?? '(all)', agentNamespace: base.agentNamespace, port });
        await new Promise<void>((resolve) => {
          const stop = (): void => resolve();
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
        log.info('agent stopping');
        clearInterval(renewTimer);
        clearInterval(keysTimer);
        await controller.stop();
        await elector?.release();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      } finally {
        client.close();
      }
    });
}
