/**
 * Human report: `file:line:col: rule: why`, the fix, and the fingerprint to list in
 * `.sealopsignore` once reviewed. Allowed findings are listed too, marked as such.
 */
import type { Finding } from '../findings.js';
import type { ScanReport } from '../scan.js';
import { fixFor } from './fix.js';

function where(f: Finding): string {
  return `${f.commit ? `${f.commit.slice(0, 12)}:` : ''}${f.path}:${f.line}:${f.column}`;
}

/** Renders `report` as text for a terminal; ends with a one-line summary. */
export function formatText(report: ScanReport): string {
  const lines: string[] = [];
  const open = report.findings.filter((f) => f.allowed === undefined);
  const allowed = report.findings.filter((f) => f.allowed !== undefined);
  for (const f of open) {
    lines.push(`${where(f)}: ${f.severity === 'error' ? 'error' : 'finding'}: ${f.rule}: ${f.message}`);
    lines.push(`  fix: ${fixFor(f)}`);
    lines.push(`  fingerprint: ${f.fingerprint}`);
  }
  for (const f of allowed) {
    lines.push(`${where(f)}: allowed (${f.allowed === 'inline' ? 'sealops:allow comment' : '.sealopsignore'}): ${f.rule}: ${f.message}`);
  }
  for (const n of report.notes) lines.push(`${n.commit ? `${n.commit.slice(0, 12)}:` : ''}${n.path}: note: ${n.message}`);
  const errors = open.filter((f) => f.severity === 'error').length;
  const findings = open.length - errors;
  const files = new Set(open.map((f) => f.path)).size;
  const summary =
    open.length === 0
      ? `sealops: clean: ${report.filesScanned} file(s) judged${allowed.length ? `, ${allowed.length} allowed finding(s)` : ''}`
      : `sealops: ${findings} finding(s)${errors ? `, ${errors} error(s)` : ''} in ${files} file(s) of ${report.filesScanned} judged${allowed.length ? `, ${allowed.length} allowed` : ''}`;
  lines.push(summary);
  if (open.length > 0 && report.mode === 'staged') lines.push('sealops: the commit was refused; fix the findings above, or allow a reviewed exception with a `sealops:allow` comment or its fingerprint in .sealopsignore');
  return lines.join('\n') + '\n';
}
