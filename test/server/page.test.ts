// The status page as HTML text: one section per Sync with its state, revisions, history, drift,
// health and last errors; every field escaped; no script, form, link or external asset; any
// status (status preserves unknown fields) renders without breaking the page.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { displayUrl, renderStatusPage, syncState } from '../../src/server/page.js';
import type { Condition, SyncObject } from '../../src/agent/sync.js';

const NOW = new Date('2026-11-26T12:00:00Z');
const XSS = `<script>alert("x")</script><img src=x onerror=alert(1)>'"&`;

function cond(type: Condition['type'], status: Condition['status'], reason: string, message = ''): Condition {
  return { type, status, reason, message, lastTransitionTime: '2026-11-26T11:55:00Z' };
}

function sync(name: string, spec: Record<string, unknown>, status: SyncObject['status']): SyncObject {
  return { apiVersion: 'sealops.dev/v1alpha1', kind: 'Sync', metadata: { namespace: 'team-a', name, generation: 2 }, spec: { source: { url: 'https://git.example/app.git', ref: { branch: 'main' } }, path: 'deploy', ...spec }, status };
}

const ready = sync(
  'web',
  {},
  {
    observedGeneration: 2,
    conditions: [cond('Ready', 'True', 'ReconciliationSucceeded', 'applied main@sha1:bbb'), cond('Reconciling', 'False', 'ReconciliationSucceeded'), cond('Stalled', 'False', 'ReconciliationSucceeded'), cond('Healthy', 'False', 'HealthCheckFailed', 'Job team-a/migrate is not ready')],
    lastAppliedRevision: 'main@sha1:bbb',
    lastAttemptedRevision: 'main@sha1:bbb',
    lastAppliedTime: '2026-11-26T11:58:00Z',
    inventory: { entries: [{ id: 'team-a_cm__ConfigMap', v: 'v1' }, { id: 'team-a_db__Secret', v: 'v1' }] as never },
    history: [
      { revision: 'main@sha1:bbb', firstAppliedTime: '2026-11-26T11:58:00Z', lastAppliedTime: '2026-11-26T11:58:00Z', applies: 1, counts: { created: 0, configured: 1, unchanged: 1, deleted: 0 }, digest: 'sha256:2222' },
      { revision: 'main@sha1:aaa', firstAppliedTime: '2026-11-25T10:00:00Z', lastAppliedTime: '2026-11-26T09:00:00Z', applies: 4, counts: { created: 2, configured: 0, unchanged: 0, deleted: 0 }, digest: 'sha256:1111' },
    ],
    drift: { checkedTime: '2026-11-26T11:59:00Z', revision: 'main@sha1:bbb', mode: 'report', objects: [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team-a', name: 'cm', paths: ['/data/mode', '/data/level'] }, { apiVersion: 'v1', kind: 'Secret', namespace: 'team-a', name: 'db', paths: ['/data/password'], missing: false }] },
    health: { checkedTime: '2026-11-26T11:59:30Z', unhealthy: [{ apiVersion: 'batch/v1', kind: 'Job', namespace: 'team-a', name: 'migrate', reason: 'JobFailed' }] },
    keysInUse: ['ks-0123456789abcdef'],
    agentVersion: '0.2.0',
  },
);
const failing = sync(
  'db',
  {},
  {
    conditions: [cond('Ready', 'False', 'DecryptionFailed', 'failed to decrypt secret team-a/db: MAC mismatch'), cond('Reconciling', 'False', 'DecryptionFailed'), cond('Stalled', 'True', 'DecryptionFailed', 'failed to decrypt secret team-a/db: MAC mismatch')],
    lastAppliedRevision: 'main@sha1:aaa',
    lastAttemptedRevision: 'main@sha1:ccc',
  },
);

describe('renderStatusPage', () => {
  const page = renderStatusPage([ready, failing], { now: NOW, scope: 'namespace team-a' });

  it('shows one section per Sync with its state, health and revisions', () => {
    expect(page.match(/<section class="sync"/g)).toHaveLength(2);
    expect(page).toContain('<span id="sync-count">2</span>');
    expect(page).toMatch(/data-sync="team-a\/web">[\s\S]*?data-state="Ready">Ready<[\s\S]*?data-health="Unhealthy"/);
    expect(page).toMatch(/data-sync="team-a\/db">[\s\S]*?data-state="Stalled">Stalled</);
    expect(page).toContain('<dd data-field="applied"><code>main@sha1:bbb</code> · <time datetime="2026-11-26T11:58:00Z" title="2026-11-26T11:58:00Z">2m ago</time></dd>');
    expect(page).toContain('<dd data-field="attempted"><code>main@sha1:ccc</code> <span class="badge bad">not applied</span></dd>');
    expect(page).toContain('<dd data-field="inventory">2</dd>');
    expect(page).toContain('<code>ks-0123456789abcdef</code>');
  });

  it('lists the history, newest first, with counts and digests', () => {
    const rows = [...page.matchAll(/<tr data-revision="([^"]+)">(.*?)<\/tr>/g)];
    expect(rows.map((r) => r[1])).toEqual(['main@sha1:bbb', 'main@sha1:aaa']);
    expect(rows[1]![2]).toContain('<td>4</td><td>2</td><td>0</td><td>0</td><td>0</td>');
    expect(rows[1]![2]).toContain('sha256:1111');
  });

  it('shows drifted objects with their field paths, and the objects that are not ready', () => {
    expect(page).toContain('data-drift-count="2"');
    expect(page).toMatch(/<li data-object="ConfigMap team-a\/cm">[\s\S]*?<code class="path">\/data\/mode<\/code>[\s\S]*?<code class="path">\/data\/level<\/code>/);
    expect(page).toContain('<code class="path">/data/password</code>');
    expect(page).toContain('<li data-object="Job team-a/migrate"><span class="object">Job team-a/migrate</span>: JobFailed</li>');
  });

  it('puts the failing conditions\' messages under last errors', () => {
    const db = page.slice(page.indexOf('data-sync="team-a/db"'));
    // Ready and Stalled say the same: one entry names both.
    expect(db).toMatch(/<div class="errors"><h3>Last errors<\/h3><ul><li data-condition="Ready, Stalled"><strong>Ready, Stalled: DecryptionFailed<\/strong>[^]*?MAC mismatch<\/pre><\/li><\/ul>/);
    const web = page.slice(page.indexOf('data-sync="team-a/web"'), page.indexOf('data-sync="team-a/db"'));
    expect(web).toMatch(/<li data-condition="Healthy"><strong>Healthy: HealthCheckFailed<\/strong>/);
    expect(web).not.toContain('data-condition="Ready"');
  });

  it('has no script, form, link, image, frame or URL attribute: nothing to load, nothing to submit', () => {
    for (const tag of ['<script', '<form', '<link', '<img', '<iframe', '<input', '<button', '<a ', 'href=', 'src=', 'action=', 'on']) {
      if (tag === 'on') expect(page).not.toMatch(/\son[a-z]+=/i);
      else expect(page.toLowerCase()).not.toContain(tag);
    }
  });

  it('shows no health without a Healthy condition: status.health left from an earlier spec.wait is stale', () => {
    const stale = sync('stale', {}, { conditions: [cond('Ready', 'True', 'ReconciliationSucceeded')], health: { checkedTime: NOW.toISOString(), unhealthy: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'old', reason: 'JobFailed' }] } });
    const out = renderStatusPage([stale], { now: NOW });
    expect(out).not.toContain('<h3>Health</h3>');
    expect(out).not.toContain('Job old');
  });

  it('says so when the agent manages no Sync', () => {
    const empty = renderStatusPage([], { now: NOW });
    expect(empty).toContain('<span id="sync-count">0</span>');
    expect(empty).toContain('manages no Syncs');
  });

  it('escapes an XSS payload in every field a status writer controls', () => {
    const evil: SyncObject = {
      apiVersion: 'sealops.dev/v1alpha1',
      kind: 'Sync',
      metadata: { namespace: XSS, name: XSS },
      spec: { source: { url: XSS, ref: { branch: XSS } }, path: XSS },
      status: {
        conditions: [cond('Ready', 'False', XSS, XSS), { ...cond('Stalled', 'True', XSS, XSS), lastTransitionTime: XSS }, cond('Healthy', 'False', XSS, `${XSS} health`)],
        lastAppliedRevision: XSS,
        lastAttemptedRevision: XSS,
        lastAppliedTime: XSS,
        history: [{ revision: XSS, firstAppliedTime: XSS, lastAppliedTime: XSS, applies: XSS as never, counts: { created: XSS as never, configured: 0, unchanged: 0, deleted: 0 }, digest: XSS }],
        drift: { checkedTime: XSS, revision: XSS, mode: XSS as never, objects: [{ apiVersion: XSS, kind: XSS, namespace: XSS, name: XSS, paths: [XSS] }] },
        health: { checkedTime: XSS, unhealthy: [{ apiVersion: XSS, kind: XSS, name: XSS, reason: XSS }] },
        keysInUse: [XSS],
        agentVersion: XSS,
      },
    };
    const out = renderStatusPage([evil], { now: NOW, scope: XSS });
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    // The handler survives only as escaped text or inside a quoted attribute value, never as an attribute.
    expect(out.replace(/"[^"]*"/g, '""')).not.toMatch(/<[^>]*onerror/);
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&quot;&amp;');
    expect(out).toContain('<h3>Health</h3>');
  });

  it('renders any status without throwing and never lets a tag through', () => {
    const text = fc.oneof(fc.string(), fc.constant(XSS));
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), text, (status, spec, name) => {
        const s = { apiVersion: 'x', kind: 'Sync', metadata: { namespace: 'n', name }, spec, status } as unknown as SyncObject;
        const out = renderStatusPage([s], { now: NOW });
        expect(out).not.toContain('<script');
        expect(out.endsWith('</html>\n')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('bounds long lists: at most 50 drifted objects are listed and the rest counted', () => {
    const objects = Array.from({ length: 120 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: `cm${i}`, paths: ['/data/x'] }));
    const out = renderStatusPage([sync('many', {}, { drift: { checkedTime: NOW.toISOString(), revision: 'r', mode: 'report', objects } })], { now: NOW });
    expect(out.match(/<li data-object=/g)).toHaveLength(50);
    expect(out).toContain('and 70 more objects');
    expect(out).toContain('data-drift-count="120"');
  });
});

describe('syncState', () => {
  it('reads Suspended from the spec, then Stalled, Reconciling, Ready, Failed, or Pending', () => {
    expect(syncState(sync('a', { suspend: true }, {}))).toBe('Suspended');
    expect(syncState(failing)).toBe('Stalled');
    expect(syncState(sync('a', {}, { conditions: [cond('Ready', 'Unknown', 'Progressing'), cond('Reconciling', 'True', 'Progressing')] }))).toBe('Reconciling');
    expect(syncState(ready)).toBe('Ready');
    expect(syncState(sync('a', {}, { conditions: [cond('Ready', 'False', 'GitUnreachable')] }))).toBe('Failed');
    expect(syncState(sync('a', {}, undefined))).toBe('Pending');
  });
});

describe('displayUrl', () => {
  it('drops credentials, query and fragment of an http(s) source URL', () => {
    expect(displayUrl('https://x-token:ghp_canary@git.example/org/app.git?private_token=canary2#frag')).toBe('https://git.example/org/app.git');
    expect(displayUrl('https://ghp_canary@git.example/app.git')).toBe('https://git.example/app.git');
  });

  it('keeps an ssh user but drops a password, and leaves scp-like and file URLs readable', () => {
    expect(displayUrl('ssh://git:pw-canary@git.example:2222/app.git')).toBe('ssh://git@git.example:2222/app.git');
    expect(displayUrl('git@github.com:org/app.git')).toBe('git@github.com:org/app.git');
    expect(displayUrl('file:///srv/git/app.git')).toBe('file:///srv/git/app.git');
  });
});
