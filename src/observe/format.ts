/**
 * Tables and JSON for `sealops status` and `sealops history`: columns padded like kubectl's,
 * times as ages in the table and as RFC 3339 in JSON.
 */
import { shortAge, table } from '../util/text-table.js';
import type { FleetStatus, SyncRow } from './status.js';
import type { SyncHistory } from './history.js';

/** Output formats of both commands. */
export type ObserveOutput = 'table' | 'json';

/** `5s`, `3m`, `2h`, `4d` since `time`, or `-`. */
export function age(time: string | undefined, now: Date): string {
  return shortAge(time, now) ?? '-';
}

/** `main@abc1234` for `main@sha1:abc1234…`. */
function shortRevision(revision: string | undefined): string {
  if (!revision) return '-';
  const [ref, commit] = revision.split('@sha1:');
  return commit ? `${ref}@${commit.slice(0, 7)}` : revision;
}

function readyCell(r: SyncRow): string {
  if (r.suspended) return 'Suspended';
  return r.ready === 'True' ? 'True' : `${r.ready}${r.reason ? ` (${r.reason})` : ''}`;
}

function healthCell(r: SyncRow): string {
  if (!r.health) return '-';
  if (r.health === 'False' && r.unhealthy.length) return `False (${r.unhealthy.join(', ')})`;
  return r.health;
}

/** `sealops status` as a table, or JSON. */
export function formatStatus(fleet: FleetStatus, output: ObserveOutput, now: Date = new Date()): string {
  if (output === 'json') return `${JSON.stringify(fleet, null, 2)}\n`;
  const rows = fleet.syncs.map((r) => [
    r.context,
    `${r.namespace}/${r.name}`,
    readyCell(r),
    shortRevision(r.revision),
    r.git,
    age(r.lastChange, now),
    r.drift === undefined ? '-' : String(r.drift),
    healthCell(r),
    r.keysInUse.length ? r.keysInUse.join(',') : '-',
    r.agentVersion ?? '-',
  ]);
  // The error itself goes to stderr (and JSON): a long message would stretch every row.
  for (const f of fleet.failures) rows.push([f.context, '-', 'Error', '-', '-', '-', '-', '-', '-', '-']);
  if (rows.length === 0) return 'No Syncs found.\n';
  return table(['CONTEXT', 'SYNC', 'READY', 'REVISION', 'GIT', 'CHANGED', 'DRIFT', 'HEALTH', 'KEYS', 'AGENT'], rows);
}

/** `sealops history` as a table, or JSON. */
export function formatHistory(history: SyncHistory, output: ObserveOutput, now: Date = new Date()): string {
  if (output === 'json') return `${JSON.stringify(history, null, 2)}\n`;
  if (history.entries.length === 0) return `No revision of Sync ${history.namespace}/${history.name} applied yet.\n`;
  const rows = history.entries.map((h) => [
    shortRevision(h.revision),
    age(h.firstAppliedTime, now),
    age(h.lastAppliedTime, now),
    String(h.applies),
    `${h.counts.created}/${h.counts.configured}/${h.counts.unchanged}/${h.counts.deleted}`,
    h.digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]*$/, '$1'),
  ]);
  return table(['REVISION', 'FIRST APPLIED', 'LAST APPLIED', 'APPLIES', 'CREATED/CONFIGURED/UNCHANGED/DELETED', 'DIGEST'], rows);
}
