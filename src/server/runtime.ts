/**
 * The long-running agent around the controller: leader election and its renewal timer, the
 * cluster keys refresher, the health/metrics/webhook server, and graceful shutdown.
 *
 * Shutdown (SIGTERM from the kubelet, or `stop` aborting): the reconcile in progress is
 * abandoned at its next request (nothing half-written is left unrecorded: the inventory is
 * written before every write batch), the Lease is released so another replica takes over at
 * once, and everything is closed within `gracePeriodMs`.
 *
 * It lives with the server (not in src/agent) because it starts the health server: src/agent
 * must not import a higher layer.
 */
import type { Server } from 'node:http';
import { describe } from '../errors.js';
import { startHealthServer } from './health.js';
import { AgentMetrics } from './metrics.js';
import { normalizeRepoUrl } from './webhook.js';
import { Controller, reconcileAllOnce, type ControllerOptions } from '../agent/controller.js';
import { ensureClusterKeys, type PublicKeys } from '../agent/keys.js';
import { LeaderElector } from '../agent/leader.js';
import { listKeySets } from '../agent/keysets.js';
import type { Logger } from '../agent/log.js';
import type { ReconcileOutcome } from '../agent/reconcile.js';

/** What both modes of the agent need: the controller's options without its hooks. */
export type AgentBaseOptions = Pick<ControllerOptions, 'client' | 'log' | 'agentNamespace' | 'namespace' | 'workRoot' | 'concurrency' | 'labelSelector' | 'defaultServiceAccount' | 'kustomize' | 'workerMemoryMb'>;

/** Options of {@link runAgent}. */
export interface RunAgentOptions extends AgentBaseOptions {
  /** Port of /healthz, /readyz, /metrics and the public keys (0: any free port). */
  readonly port: number;
  /** Take the Lease before reconciling (default true). */
  readonly leaderElect?: boolean;
  /** This replica's name in the Lease. */
  readonly identity: string;
  /** Create the keys Secret when it is missing (leader only; default true). */
  readonly generateKeys?: boolean;
  /** HMAC secret of the push webhook; no webhook without it. */
  readonly webhookSecret?: string;
  /** Aborting it starts the graceful shutdown. */
  readonly stop: AbortSignal;
  /** Lease duration in seconds (default 15); renewal runs every third of it. */
  readonly leaseDurationSeconds?: number;
  /** How long shutdown may take before the agent stops waiting (default 25 s, under the kubelet's 30 s). */
  readonly gracePeriodMs?: number;
  /** Called once the server listens (the port actually bound). */
  readonly onListening?: (port: number) => void;
  /** Controller tuning (tests). */
  readonly backoffBaseMs?: number;
  /** Make a new key set when the newest is older than this (ms; 0: never by age). */
  readonly keyRotationMs?: number;
  /** How often the key sets are re-read, rotation checked and the ConfigMap published (default 10 s). */
  readonly keyCheckIntervalMs?: number;
}

/** An AbortSignal that aborts on the first of `signals` the process receives. */
export function processSignals(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): AbortSignal {
  const ctl = new AbortController();
  const on = (sig: NodeJS.Signals): void => {
    for (const s of signals) process.removeListener(s, on);
    ctl.abort(new Error(`received ${sig}`));
  };
  for (const s of signals) process.once(s, on);
  return ctl.signal;
}

/** Reconciles every Sync once (`sealops agent --once`). Throws only when Syncs cannot be listed. */
export async function runAgentOnce(options: AgentBaseOptions & { generateKeys?: boolean }): Promise<{ sync: string; outcome: ReconcileOutcome }[]> {
  // --once is read-only unless asked: a CI run must not mint a cluster's keys by accident.
  if (options.generateKeys === true) {
    const keys = await ensureClusterKeys(options.client, options.agentNamespace, { generate: true, publish: true, log: options.log });
    options.log.info('cluster keys published', { recipients: keys.recipients.length, certificates: keys.certificates.length });
  }
  return reconcileAllOnce(options);
}

/**
 * Runs the agent until `options.stop` aborts, then shuts down gracefully. Resolves when it has
 * stopped.
 */
export async function runAgent(options: RunAgentOptions): Promise<void> {
  const { client, log } = options;
  const lease = `${options.agentNamespace}/sealops-agent`;
  const duration = options.leaseDurationSeconds ?? 15;
  // The controller's own view of its Syncs (listed, then watched) feeds the page and the gauges: no extra API request.
  const metrics = new AgentMetrics({ apiRequests: () => client.requests, syncs: () => controller.syncs() });
  const elector =
    options.leaderElect === false ? undefined : new LeaderElector(client, { namespace: options.agentNamespace, identity: options.identity, leaseDurationSeconds: duration });
  const controllerOptions: ControllerOptions = {
    ...options,
    ...(elector ? { leadership: elector } : {}),
    onOutcome: (s, o, ms) => metrics.observe(`${s.metadata.namespace}/${s.metadata.name}`, o.reason, o.ok, ms),
    onStage: metrics.observeStage,
  };
  const controller = new Controller(controllerOptions);

  let leading = false;
  const renew = async (): Promise<void> => {
    if (!elector) return;
    try {
      const now = await elector.tryAcquireOrRenew();
      if (now !== leading) log.info(now ? 'became leader' : 'lost leadership', { lease });
      leading = now;
    } catch (err) {
      if (leading && !elector.isLeader()) {
        leading = false;
        log.info('lost leadership', { lease, error: describe(err) });
      } else log.warn('failed to renew leader lease', { error: describe(err) });
    }
  };

  // Only the leader writes (creates the keys Secret, applies the public ConfigMap); every
  // replica reads the Secrets to serve the public halves. Re-read often: the leader rotates
  // here (by age, or when `keys rotate` asked), and a follower picks up the new set.
  let publicKeys: PublicKeys | undefined;
  let refreshing = false;
  const refreshKeys = async (): Promise<void> => {
    if (refreshing) return;
    refreshing = true;
    try {
      const leader = !elector || elector.isLeader();
      // The leader's writes are fenced by its term; the others only read (the Secret, to serve it).
      const fenced = elector && leader ? client.fenced({ signal: elector.termSignal, canWrite: () => elector.isLeader(), writeDeadline: () => elector.leaderDeadline() }) : client;
      const found = await ensureClusterKeys(fenced, options.agentNamespace, { generate: options.generateKeys !== false && leader, publish: leader, log, rotationMs: options.keyRotationMs });
      if (found.found) publicKeys = found;
    } catch (err) {
      log.warn('failed to load or publish the cluster keys', { error: describe(err) });
    } finally {
      refreshing = false;
    }
  };

  await renew();
  void refreshKeys();
  const keysTimer = setInterval(() => void refreshKeys(), options.keyCheckIntervalMs ?? 10_000);
  // Renewal is never queued behind itself: a hung renewal must not pile up requests.
  let renewing = false;
  const renewTimer = setInterval(() => {
    if (renewing) return;
    renewing = true;
    const before = leading;
    void renew().then(() => {
      renewing = false;
      if (!before && leading) void refreshKeys();
    });
  }, Math.max(200, (duration * 1000) / 3));

  let server: Server | undefined;
  try {
    server = await startHealthServer({
      port: options.port,
      isReady: () => controller.ready,
      metrics,
      syncs: () => controller.syncs(),
      scope: `namespace ${options.namespace ?? '(all)'}${options.labelSelector ? `, selector ${options.labelSelector}` : ''}`,
      publicKeys: () => publicKeys,
      reencrypt: { client, keySets: () => listKeySets(client, options.agentNamespace), log },
      webhook: options.webhookSecret
        ? { secret: Buffer.from(options.webhookSecret, 'utf8'), onPush: (urls) => controller.trigger(urls, normalizeRepoUrl) }
        : undefined,
    });
    const address = server.address();
    options.onListening?.(typeof address === 'object' && address ? address.port : options.port);
    controller.start();
    log.info('agent started', { namespace: options.namespace ?? '(all)', agentNamespace: options.agentNamespace, port: options.port });
    if (!options.stop.aborted) await new Promise<void>((resolve) => options.stop.addEventListener('abort', () => resolve(), { once: true }));
    log.info('agent stopping', { why: describe(options.stop.reason) });
  } finally {
    clearInterval(renewTimer);
    clearInterval(keysTimer);
    await shutdown(controller, elector, server, options.gracePeriodMs ?? 25_000, log);
  }
}

/** Stops the controller, releases the Lease and closes the server, bounded by `graceMs`. */
async function shutdown(controller: Controller, elector: LeaderElector | undefined, server: Server | undefined, graceMs: number, log: Logger): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
    timer.unref?.();
  });
  const steps = (async (): Promise<void> => {
    await controller.stop();
    await elector?.release();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  })();
  const result = await Promise.race([steps.then(() => 'done' as const), late]);
  clearTimeout(timer);
  if (result === 'late') log.warn('shutdown exceeded its grace period; exiting anyway', { graceMs });
  else log.info('agent stopped');
}
