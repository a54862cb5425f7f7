// Leader election on a real Lease: one holder at a time, takeover after expiry, hand-over on release.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithCluster } from '../support/kube.js';
import { adminClient, createNs } from './agent-harness.js';
import { LeaderElector } from '../../src/agent/index.js';
import type { KubeClient } from '../../src/kube/client.js';

let client: KubeClient;
let ns: string;

describeWithCluster('LeaderElector', () => {
  beforeAll(async () => {
    client = adminClient();
    ns = await createNs(client, 'lease');
  });
  afterAll(() => client?.close());

  it('lets exactly one of two replicas win a fresh lease, even when they race', async () => {
    const a = new LeaderElector(client, { namespace: ns, name: 'race', identity: 'a' });
    const b = new LeaderElector(client, { namespace: ns, name: 'race', identity: 'b' });
    const [ra, rb] = await Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
    expect([ra, rb].filter(Boolean)).toHaveLength(1);
    expect(a.isLeader()).toBe(ra);
    expect(b.isLeader()).toBe(rb);
  });

  it('keeps the holder, refuses the other, and hands over on release', async () => {
    const a = new LeaderElector(client, { namespace: ns, name: 'handover', identity: 'a' });
    const b = new LeaderElector(client, { namespace: ns, name: 'handover', identity: 'b' });
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    await a.release();
    expect(a.isLeader()).toBe(false);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(await a.tryAcquireOrRenew()).toBe(false);
  });

  it('takes over a lease its holder stopped renewing, counting the transition', async () => {
    const a = new LeaderElector(client, { namespace: ns, name: 'expiry', identity: 'a', leaseDurationSeconds: 15 });
    const b = new LeaderElector(client, { namespace: ns, name: 'expiry', identity: 'b', leaseDurationSeconds: 15 });
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew(new Date(Date.now() + 5_000))).toBe(false);
    expect(await b.tryAcquireOrRenew(new Date(Date.now() + 20_000))).toBe(true);
    const lease = await client.request<{ spec: { holderIdentity: string; leaseTransitions: number } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/expiry`);
    expect(lease.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });
});
