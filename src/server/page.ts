/**
 * The agent's read-only status page on `/`: plain server-rendered HTML, one section per Sync
 * (state, revisions, history, drift, health, last errors), inline CSS only, no script, no form
 * and no external asset, so it works offline behind `kubectl port-forward`.
 *
 * Everything shown comes from the Syncs' status, which the agent already redacted; the page
 * still treats every field as untrusted text (status preserves unknown fields, so anyone who may
 * write it may write anything): each value is escaped by the {@link html} template, each list is
 * bounded, and a field of the wrong type shows as absent instead of breaking the page.
 */
import { html, Html } from './html.js';
import { HISTORY_LIMIT, type SyncObject } from '../agent/sync.js';
import { isRecord } from '../util/record.js';
import { shortAge } from '../util/text-table.js';

/** Options of {@link renderStatusPage}. */
export interface StatusPageOptions {
  /** The clock the ages are computed against. */
  readonly now: Date;
  /** Which Syncs this agent manages (e.g. `namespace team-a, selector shard=a`), shown in the header. */
  readonly scope?: string;
}

/** Most drifted objects, unhealthy objects and paths per object shown; the rest are counted. */
const MAX_ITEMS = 50;
const MAX_PATHS = 20;
/** Longest text shown for one field. */
const MAX_TEXT = 2048;

type Rec = Record<string, unknown>;

function rec(v: unknown): Rec {
  return isRecord(v) ? v : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string {
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s;
}

/** The page for `syncs`. */
export function renderStatusPage(syncs: readonly SyncObject[], options: StatusPageOptions): string {
  const views = syncs.map((s) => ({ sync: s, state: syncState(s) }));
  const counts = new Map<string, number>();
  for (const v of views) counts.set(v.state, (counts.get(v.state) ?? 0) + 1);
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>sealops agent: ${syncs.length} Sync${syncs.length === 1 ? '' : 's'}</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<header>
<h1>sealops agent</h1>
<p class="summary"><span id="sync-count">${syncs.length}</span> Sync${syncs.length === 1 ? '' : 's'}${options.scope ? html` (${options.scope})` : ''}${[...counts].sort().map(([state, n]) => html` · <span class="badge ${stateClass(state)}">${n} ${state}</span>`)}</p>
<p class="meta">Read-only view of the Syncs' status as the agent last saw it, at <time datetime="${options.now.toISOString()}">${options.now.toISOString()}</time>. Reload to refresh.</p>
</header>
<main>
${views.length === 0 ? html`<p class="empty">This agent manages no Syncs yet.</p>` : views.map((v) => syncSection(v.sync, v.state, options.now))}
</main>
</body>
</html>
`;
  return page.text;
}

/**
 * One word for a Sync: `Suspended`, `Stalled`, `Reconciling`, `Ready`, `Failed`, or `Pending`
 * (no verdict yet).
 */
export function syncState(sync: SyncObject): string {
  if (rec(sync.spec).suspend === true) return 'Suspended';
  const status = (type: string): string => str(rec(arr(rec(sync.status).conditions).find((c) => rec(c).type === type)).status);
  if (status('Stalled') === 'True') return 'Stalled';
  if (status('Reconciling') === 'True') return 'Reconciling';
  if (status('Ready') === 'True') return 'Ready';
  if (status('Ready') === 'False') return 'Failed';
  return 'Pending';
}

function stateClass(state: string): string {
  return { Ready: 'ok', Healthy: 'ok', Failed: 'bad', Stalled: 'bad', Unhealthy: 'bad', Reconciling: 'busy', Progressing: 'busy' }[state] ?? 'idle';
}

function healthState(condition: Rec): string | undefined {
  const s = str(condition.status);
  return s === 'True' ? 'Healthy' : s === 'False' ? 'Unhealthy' : s ? 'Progressing' : undefined;
}

/** `3m ago` for an RFC 3339 time, in a `<time>` element; the text as is when it is no time. */
function age(value: unknown, now: Date): Html | string {
  const text = str(value);
  const t = Date.parse(text);
  if (!text || Number.isNaN(t)) return text;
  const rel = t > now.getTime() ? 'in the future' : `${shortAge(text, now) ?? text} ago`;
  return html`<time datetime="${text}" title="${text}">${rel}</time>`;
}

/** A source URL without credentials: userinfo, query and fragment of an http(s) URL can hold a token. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'http:' || u.protocol === 'https:') {
      u.username = '';
      u.password = '';
      u.search = '';
      u.hash = '';
      return u.toString();
    }
    u.password = '';
    return u.toString();
  } catch {
    // scp-like (git@host:path) or a local path: no password can be in it.
    return url.replace(/^[^@/]*:[^@/]*@/, '');
  }
}

function objectName(o: Rec): string {
  const ns = str(o.namespace);
  return `${str(o.kind) || '?'} ${ns ? `${ns}/` : ''}${str(o.name)}`;
}

function more(total: number, shown: number, what: string): Html | '' {
  return total > shown ? html`<p class="more">and ${total - shown} more ${what}</p>` : '';
}

function syncSection(sync: SyncObject, state: string, now: Date): Html {
  const meta = rec(sync.metadata);
  const status = rec(sync.status);
  const spec = rec(sync.spec);
  const source = rec(spec.source);
  const ref = rec(source.ref);
  const id = `${str(meta.namespace)}/${str(meta.name)}`;
  const conditions = arr(status.conditions).map(rec);
  const healthy = conditions.find((c) => c.type === 'Healthy');
  const health = healthy ? healthState(healthy) : undefined;
  const refText = str(ref.branch) ? `branch ${str(ref.branch)}` : str(ref.tag) ? `tag ${str(ref.tag)}` : str(ref.commit) ? `commit ${str(ref.commit)}` : 'HEAD';
  const applied = str(status.lastAppliedRevision);
  const attempted = str(status.lastAttemptedRevision);
  const generation = typeof meta.generation === 'number' ? meta.generation : undefined;
  const observed = typeof status.observedGeneration === 'number' ? status.observedGeneration : undefined;
  const keys = arr(status.keysInUse).map(str).filter(Boolean);
  return html`<section class="sync" id="sync/${id}" data-sync="${id}">
<h2><span class="name">${id}</span> <span class="badge state ${stateClass(state)}" data-state="${state}">${state}</span>${health ? html` <span class="badge health ${stateClass(health)}" data-health="${health}">${health}</span>` : ''}</h2>
<dl class="facts">
<dt>Source</dt><dd data-field="source">${displayUrl(str(source.url))} · ${refText}${str(spec.path) ? html` · path <code>${str(spec.path)}</code>` : ''}</dd>
<dt>Applied revision</dt><dd data-field="applied">${applied ? html`<code>${applied}</code>` : html`<span class="none">none yet</span>`}${status.lastAppliedTime ? html` · ${age(status.lastAppliedTime, now)}` : ''}</dd>
<dt>Attempted revision</dt><dd data-field="attempted">${attempted ? html`<code>${attempted}</code>` : html`<span class="none">none yet</span>`}${attempted && applied && attempted !== applied ? html` <span class="badge bad">not applied</span>` : ''}</dd>
<dt>Objects</dt><dd data-field="inventory">${arr(rec(status.inventory).entries).length}</dd>
${generation !== undefined && observed !== undefined && observed !== generation ? html`<dt>Spec</dt><dd data-field="generation">generation ${generation}, last reconciled ${observed}</dd>` : ''}
${keys.length ? html`<dt>Key sets</dt><dd data-field="keys">${keys.map((k, i) => html`${i ? ', ' : ''}<code>${k}</code>`)}</dd>` : ''}
${str(status.agentVersion) ? html`<dt>Agent</dt><dd data-field="agent-version">${str(status.agentVersion)}</dd>` : ''}
</dl>
${errorsBlock(conditions, now)}
${historyBlock(arr(status.history), now)}
${driftBlock(status.drift, now)}
${healthBlock(status.health, healthy, now)}
${conditionsBlock(conditions, now)}
</section>
`;
}

/**
 * The failing conditions' messages: what went wrong last, as the agent wrote it (already
 * redacted). Conditions that say the same thing (Ready and Stalled usually do) share one entry.
 */
function errorsBlock(conditions: Rec[], now: Date): Html | '' {
  const failing = conditions.filter((c) => str(c.message) && ((c.type === 'Stalled' && c.status === 'True') || ((c.type === 'Ready' || c.type === 'Healthy') && c.status === 'False')));
  const byMessage = new Map<string, Rec[]>();
  for (const c of failing) byMessage.set(str(c.message), [...(byMessage.get(str(c.message)) ?? []), c]);
  if (!byMessage.size) return '';
  return html`<div class="errors"><h3>Last errors</h3><ul>${[...byMessage].map(([message, cs]) => {
    const types = cs.map((c) => str(c.type)).join(', ');
    const reasons = [...new Set(cs.map((c) => str(c.reason)))].join(', ');
    return html`<li data-condition="${types}"><strong>${types}: ${reasons}</strong> (${age(cs[0]!.lastTransitionTime, now)})<pre class="message">${message}</pre></li>`;
  })}</ul></div>`;
}

function historyBlock(history: unknown[], now: Date): Html {
  if (!history.length) return html`<h3>History</h3><p class="none">No applied revision recorded yet.</p>`;
  const rows = history.slice(0, HISTORY_LIMIT).map(rec);
  return html`<h3>History</h3>
<table class="history"><thead><tr><th>Revision</th><th>First applied</th><th>Last applied</th><th>Applies</th><th>Created</th><th>Configured</th><th>Unchanged</th><th>Deleted</th><th>Digest</th></tr></thead><tbody>
${rows.map((h) => {
  const c = rec(h.counts);
  return html`<tr data-revision="${str(h.revision)}"><td><code>${str(h.revision)}</code></td><td>${age(h.firstAppliedTime, now)}</td><td>${age(h.lastAppliedTime, now)}</td><td>${str(h.applies)}</td><td>${str(c.created)}</td><td>${str(c.configured)}</td><td>${str(c.unchanged)}</td><td>${str(c.deleted)}</td><td><code class="digest">${str(h.digest)}</code></td></tr>
`;
})}</tbody></table>${more(history.length, rows.length, 'revisions')}`;
}

function driftBlock(value: unknown, now: Date): Html {
  if (value === undefined || value === null) return html`<h3>Drift</h3><p class="none">No drift check has run yet.</p>`;
  const drift = rec(value);
  const objects = arr(drift.objects).map(rec);
  const shown = objects.slice(0, MAX_ITEMS);
  return html`<h3>Drift</h3>
<p class="drift-summary" data-drift-count="${objects.length}">${objects.length ? html`<span class="badge bad">${objects.length} drifted</span>` : html`<span class="badge ok">in sync</span>`} · mode ${str(drift.mode) || '?'} · checked ${age(drift.checkedTime, now)} against <code>${str(drift.revision)}</code></p>
${shown.length ? html`<ul class="drift">${shown.map((o) => {
  const paths = arr(o.paths).map(str);
  return html`<li data-object="${objectName(o)}"><span class="object">${objectName(o)}</span>${o.missing === true ? html` <span class="badge bad">missing</span>` : ''}${paths.length ? html`<ul class="paths">${paths.slice(0, MAX_PATHS).map((p) => html`<li><code class="path">${p}</code></li>`)}</ul>` : ''}${more(paths.length, Math.min(paths.length, MAX_PATHS), 'paths')}</li>`;
})}</ul>${more(objects.length, shown.length, 'objects')}` : ''}`;
}

function healthBlock(value: unknown, condition: Rec | undefined, now: Date): Html | '' {
  // status.health outlives spec.wait (a merge patch never removes it): without the Healthy condition it is stale.
  if (!condition) return '';
  const health = rec(value);
  const unhealthy = arr(health.unhealthy).map(rec);
  const shown = unhealthy.slice(0, MAX_ITEMS);
  return html`<h3>Health</h3>
<p class="health-summary" data-unhealthy-count="${unhealthy.length}">${unhealthy.length ? html`<span class="badge bad">${unhealthy.length} not ready</span>` : html`<span class="badge ok">all ready</span>`}${health.checkedTime ? html` · checked ${age(health.checkedTime, now)}` : ''}</p>
${shown.length ? html`<ul class="unhealthy">${shown.map((o) => html`<li data-object="${objectName(o)}"><span class="object">${objectName(o)}</span>: ${str(o.reason)}</li>`)}</ul>${more(unhealthy.length, shown.length, 'objects')}` : ''}`;
}

function conditionsBlock(conditions: Rec[], now: Date): Html | '' {
  if (!conditions.length) return '';
  return html`<h3>Conditions</h3>
<table class="conditions"><thead><tr><th>Type</th><th>Status</th><th>Reason</th><th>Since</th><th>Message</th></tr></thead><tbody>
${conditions.map((c) => html`<tr data-type="${str(c.type)}"><td>${str(c.type)}</td><td>${str(c.status)}</td><td>${str(c.reason)}</td><td>${age(c.lastTransitionTime, now)}</td><td class="message">${str(c.message)}</td></tr>
`)}</tbody></table>`;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#5b6570;--bg:#fff;--card:#f6f8fa;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--busy:#9a6700;--idle:#57606a}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;--line:#30363d;--ok:#3fb950;--bad:#f85149;--busy:#d29922;--idle:#9198a1}}
body{margin:0;padding:1rem 2rem;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
h1{margin:0 0 .25rem;font-size:1.5rem}h2{margin:0 0 .5rem;font-size:1.15rem}h3{margin:1rem 0 .35rem;font-size:1rem}
.summary,.meta{margin:.2rem 0;color:var(--muted)}
.sync{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
.badge{display:inline-block;padding:0 .5em;border-radius:1em;font-size:.85em;font-weight:600;border:1px solid currentColor}
.ok{color:var(--ok)}.bad{color:var(--bad)}.busy{color:var(--busy)}.idle{color:var(--idle)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{text-align:left;border-bottom:1px solid var(--line);padding:.25rem .5rem;vertical-align:top}
td.message,pre.message{white-space:pre-wrap;overflow-wrap:anywhere}
.errors{border-left:4px solid var(--bad);padding:.25rem .75rem;margin:.75rem 0}.errors ul{margin:0;padding-left:1rem}
pre.message{margin:.25rem 0;font:12px/1.4 ui-monospace,monospace}
.none,.more,.empty{color:var(--muted)}ul.paths{margin:.1rem 0 .4rem}
`;
