/**
 * Leader election on a `coordination.k8s.io/v1` Lease, so two agent replicas never apply at
 * once. Optimistic concurrency does the work: every write carries the resourceVersion read,
 * and a 409 means another replica wrote first.
 */
import { KubeApiError, type KubeClient } from '../kube/client.js';

/** Options of {@link LeaderElector}. */
export interface LeaderOptions {
  readonly namespace: string;
  /** Lease name (default `sealops-agent`). */
  readonly name?: string;
  /** This replica's identity (pod name). */
  readonly identity: string;
  /** How long a lease holds without renewal (default 15 s). */
  readonly leaseDurationSeconds?: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

function microTime(d: Date): string {
  return d.toISOString().replace(/Z$/, '000Z');
}

/** Acquires and renews one Lease. */
export class LeaderElector {
  private readonly name: string;
  private readonly duration: number;
  private leaderUntil = 0;
  private term = new AbortController();
  private termTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderOptions,
  ) {
    this.name = options.name ?? 'sealops-agent';
    this.duration = options.leaseDurationSeconds ?? 15;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases`;
  }

  /** True while this replica holds an unexpired lease (by its own clock, with a safety margin). */
  isLeader(): boolean {
    return Date.now() < this.leaderUntil;
  }

  /** Epoch ms after which this replica must not have a write in flight (0 when not leading). */
  leaderDeadline(): number {
    return this.leaderUntil;
  }

  /**
   * Aborts when the current term ends: a renewal failed, another replica holds the Lease, the
   * deadline passed unrenewed, or the Lease was released. Reconciles abort their in-flight
   * requests with it. A new term (after this one ended) gets a new signal.
   */
  get termSignal(): AbortSignal {
    return this.term.signal;
  }

  private endTerm(why: string): void {
    this.leaderUntil = 0;
    clearTimeout(this.termTimer);
    if (!this.term.signal.aborted) this.term.abort(new Error(why));
  }

  private extendTerm(until: number): void {
    if (this.term.signal.aborted) this.term = new AbortController();
    this.leaderUntil = until;
    clearTimeout(this.termTimer);
    this.termTimer = setTimeout(() => this.endTerm('the leader lease was not renewed in time'), Math.max(0, until - Date.now()));
    this.termTimer.unref?.();
  }

  /** Lease requests give up well before the Lease could expire. */
  private get requestTimeoutMs(): number {
    return Math.max(1000, (this.duration * 1000) / 4);
  }

  /**
   * One attempt to acquire or renew. Returns true when this replica holds the lease afterwards.
   * Throws only for unexpected API errors.
   */
  async tryAcquireOrRenew(now = new Date()): Promise<boolean> {
    let lease: Lease | undefined;
    try {
      lease = await this.client.request<Lease>('GET', `${this.path}/${encodeURIComponent(this.name)}`, { timeoutMs: this.requestTimeoutMs });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) {
        if (!this.isLeader()) this.endTerm('failed to read the leader lease');
        throw err;
      }
    }
    const me = this.options.identity;
    const spec = { holderIdentity: me, leaseDurationSeconds: this.duration, renewTime: microTime(now) };
    try {
      if (!lease) {
        await this.client.request('POST', this.path, {
          timeoutMs: this.requestTimeoutMs,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.options.namespace }, spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 } },
        });
      } else {
        const holder = lease.spec.holderIdentity ?? '';
        const renewed = lease.spec.renewTime ? Date.parse(lease.spec.renewTime) : 0;
        const expired = renewed + (lease.spec.leaseDurationSeconds ?? this.duration) * 1000 < now.getTime();
        if (holder !== '' && holder !== me && !expired) {
          this.endTerm('another replica holds the leader lease');
          return false;
        }
        const takeover = holder !== me;
        await this.client.request('PUT', `${this.path}/${encodeURIComponent(this.name)}`, {
          timeoutMs: this.requestTimeoutMs,
          body: {
            ...lease,
            spec: {
              ...lease.spec,
              ...spec,
              acquireTime: takeover ? microTime(now) : lease.spec.acquireTime,
              leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (takeover ? 1 : 0),
            },
          },
        });
      }
    } catch (err) {
      if (err instanceof KubeApiError && (err.status === 409 || err.status === 422)) {
        this.endTerm('another replica took the leader lease');
        return false;
      }
      if (!this.isLeader()) this.endTerm('failed to renew the leader lease');
      throw err;
    }
    // Stop acting a little before the lease could expire for the others. Counted from `now`,
    // the renewTime written, so a renewal that hung for long buys little or nothing.
    const until = now.getTime() + this.duration * 1000 * 0.8;
    if (until <= Date.now()) {
      this.endTerm('the leader lease was renewed too late to act on');
      return false;
    }
    this.extendTerm(until);
    return true;
  }

  /** Gives the lease up (graceful shutdown), so another replica takes over at once. */
  async release(): Promise<void> {
    if (!this.isLeader()) return;
    this.endTerm('the leader lease was released');
    try {
      const lease = await this.client.request<Lease>('GET', `${this.path}/${encodeURIComponent(this.name)}`, { timeoutMs: this.requestTimeoutMs });
      if (lease.spec.holderIdentity !== this.options.identity) return;
      await this.client.request('PUT', `${this.path}/${encodeURIComponent(this.name)}`, { timeoutMs: this.requestTimeoutMs, body: { ...lease, spec: { ...lease.spec, holderIdentity: '' } } });
    } catch {
      // best effort: the lease expires on its own
    }
  }
}
