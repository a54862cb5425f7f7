/**
 * Machine report for CI: every finding (allowed ones marked), notes and counts. Values are
 * never included, only where they are and their fingerprint.
 */
import type { ScanReport } from '../scan.js';
import { scanExitStatus } from '../scan.js';
import { fixFor } from './fix.js';

/** Renders `report` as pretty JSON (format version 1). */
export function formatJson(report: ScanReport): string {
  const open = report.findings.filter((f) => f.allowed === undefined);
  const body = {
    version: 1,
    tool: 'sealops',
    mode: report.mode,
    status: scanExitStatus(report),
    summary: {
      files: report.filesScanned,
      bytes: report.bytesScanned,
      findings: open.filter((f) => f.severity === 'finding').length,
      errors: open.filter((f) => f.severity === 'error').length,
      allowed: report.findings.length - open.length,
    },
    findings: report.findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      path: f.path,
      line: f.line,
      column: f.column,
      message: f.message,
      fix: fixFor(f),
      fingerprint: f.fingerprint,
      allowed: f.allowed ?? null,
      ...(f.commit ? { commit: f.commit } : {}),
    })),
    notes: report.notes,
  };
  return JSON.stringify(body, null, 2) + '\n';
}
