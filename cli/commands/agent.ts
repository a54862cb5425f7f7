/**
 * `sealops agent [--once] [--kubeconfig FILE] [--namespace NS]`: the in-cluster sync agent.
 * In long-running mode the leader creates the first key set when there is none and a new one
 * every `--key-rotation` or when `sealops keys rotate` asks (`--no-generate-keys` turns both off;
 * `--once` generates only with `--generate-keys`), and every replica serves the newest public
 * halves on `/v1/cert.pem` and `/v1/recipients`, and every set on `/v1/keysets`.
 * JSON logs go to stderr; `--once` prints one summary line per Sync to stdout and exits 1 when
 * any Sync failed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { KubeClient, Logger, UsageError, loadKubeConfig, runAgent, runAgentOnce, processSignals, parseKeyRotation, EXIT_FINDINGS, KubeError, DEFAULT_WORKER_MEMORY_MB, describeError as describe } from '../../src/index.js';
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
  leaseDuration?: string;
  generateKeys?: boolean;
  kustomize?: string;
  keyRotation: string;
  keyCheckInterval: string;
  buildMemory?: string;
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
    .option('--build-memory <MiB>', 'heap cap of the thread that parses and decrypts a repository: a file that needs more fails its Sync (BuildFailed)', String(DEFAULT_WORKER_MEMORY_MB))
    .option('--generate-keys', 'create the keys Secret sealops-keys with a new key set when it is missing (default in long-running mode, by the leader only)')
    .option('--no-generate-keys', 'never create the keys Secret (default with --once)')
    .option('--key-rotation <DURATION>', 'make a new key set when the newest is older than this (30d, 720h; 0: never); old sets keep decrypting', '30d')
    .option('--key-check-interval <SECONDS>', 'how often the key sets are re-read, rotation checked and the public keys published', '10')
    .option('--lease-duration <SECONDS>', 'how long the leader Lease holds without renewal; renewed every third of it', '15')
    .option('--no-leader-elect', 'do not take the Lease sealops-agent in the agent namespace before reconciling (long-running mode)')
    .action(async (opts: AgentOptions) => {
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError('failed to parse --concurrency: give an integer from 1 to 64');
      const leaseDuration = Number(opts.leaseDuration);
      if (!Number.isInteger(leaseDuration) || leaseDuration < 2 || leaseDuration > 300) throw new UsageError('failed to parse --lease-duration: give whole seconds from 2 to 300');
      const keyRotationMs = parseKeyRotation(opts.keyRotation);
      const keyCheck = Number(opts.keyCheckInterval);
      if (!Number.isFinite(keyCheck) || keyCheck < 0.1 || keyCheck > 3600) throw new UsageError('failed to parse --key-check-interval: give seconds from 0.1 to 3600');
      const workerMemoryMb = Number(opts.buildMemory);
      if (!Number.isInteger(workerMemoryMb) || workerMemoryMb < 32 || workerMemoryMb > 65536) throw new UsageError('failed to parse --build-memory: give whole MiB from 32 to 65536');
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
        workerMemoryMb,
        ...(opts.kustomize ?? io.env.SEALOPS_KUSTOMIZE ? { kustomize: { binary: opts.kustomize ?? io.env.SEALOPS_KUSTOMIZE } } : {}),
      };
      try {
        if (opts.once) {
          let results;
          try {
            results = await runAgentOnce({ ...base, generateKeys: opts.generateKeys === true });
          } catch (err) {
            throw new KubeError(`failed to list Syncs: ${describe(err)}`, { cause: err });
          }
          for (const { sync, outcome } of results) {
            io.stdout.write(`${sync}\t${outcome.ok ? 'Ready' : 'Failed'}\t${outcome.reason}\t${outcome.revision ?? ''}\n`);
          }
          if (results.some((r) => !r.outcome.ok)) io.exitCode = EXIT_FINDINGS;
          return;
        }
        await runAgent({
          ...base,
          port,
          leaderElect: opts.leaderElect !== false,
          leaseDurationSeconds: leaseDuration,
          identity: io.env.POD_NAME ?? `${hostname()}-${process.pid}`,
          generateKeys: opts.generateKeys !== false,
          keyRotationMs,
          keyCheckIntervalMs: keyCheck * 1000,
          webhookSecret: io.env.SEALOPS_WEBHOOK_SECRET,
          stop: processSignals(),
        });
      } finally {
        client.close();
      }
    });
}
