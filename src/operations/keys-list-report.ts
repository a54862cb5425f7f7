/**
 * The human rendering of a `keys list` report: one table per section (keys, files, clusters),
 * then the notes and the problems. Keys and files only; nothing here can hold a value.
 */
import { table } from '../util/text-table.js';
import type { KeysListReport } from './keys-list.js';

/** The tables of this report: columns two spaces apart. */
const keysTable = (header: readonly string[], rows: readonly (readonly string[])[]): string => table(header, rows, 2);

const day = (iso: string | undefined): string => (iso ? iso.slice(0, 10) : '-');

/** The report as text tables. */
export function formatKeysList(report: KeysListReport): string {
  const out: string[] = [];
  out.push(`keys of ${report.root}${report.configFile ? ` (config ${report.configFile})` : ' (no .sealops.yaml)'}\n\n`);
  out.push(
    keysTable(
      ['FINGERPRINT', 'KIND', 'ROLE', 'CLUSTERS', 'SET', 'CREATED', 'AGE', 'STATE', 'IN USE', 'FILES'],
      report.keys.map((k) => [
        k.fingerprint,
        k.kind,
        k.role,
        k.clusters.join(',') || '-',
        k.keySet ?? '-',
        day(k.createdAt),
        k.ageDays === undefined ? '-' : `${k.ageDays}d`,
        k.state ?? '-',
        k.inUse === undefined ? '?' : k.inUse ? 'yes' : 'no',
        String(k.files.length),
      ]),
    ),
  );
  out.push('\n');
  out.push(
    keysTable(
      ['FILE', 'FORMAT', 'CLUSTERS', 'SEALED TO'],
      report.files.map((f) => [f.file, f.format, f.clusters.join(',') || '-', f.recipients ? f.recipients.join(',') || '(no age recipient)' : (f.sealedTo ?? '-')]),
    ),
  );
  for (const side of report.clusters) {
    out.push(`\ncluster ${side.cluster ?? '(not in .sealops.yaml)'}: context ${side.context}, namespace ${side.namespace}\n`);
    out.push(keysTable(['SET', 'CREATED', 'STATE', 'USED BY'], side.sets.map((s) => [s.fingerprint, day(s.createdAt), s.state, s.usedBy.join(',') || '-'])));
    out.push(side.backup ? `last backup ${side.backup.time}: ${side.backup.fingerprints.join(', ') || '(no set)'}\n` : 'last backup: none recorded\n');
    for (const u of side.unknownInUse) out.push(`Sync ${u.sync} uses ${u.fingerprint}, which the cluster does not publish\n`);
  }
  if (report.notes.length > 0) out.push(`\n${report.notes.map((n) => `note: ${n}\n`).join('')}`);
  out.push(report.problems.length === 0 ? '\nno problems found\n' : `\n${report.problems.length} problem(s):\n${report.problems.map((p) => `${p.kind}: ${p.message}\n`).join('')}`);
  return out.join('');
}
