/**
 * SARIF 2.1.0 report, for code-scanning dashboards. Allowed findings carry a suppression
 * (`inSource` for a `sealops:allow` comment, `external` for the ignore file) so they show as
 * reviewed rather than vanish.
 */
import { RULES, type RuleId } from '../findings.js';
import type { ScanReport } from '../scan.js';
import { fixFor } from './fix.js';

/** Renders `report` as a SARIF 2.1.0 log with one run. */
export function formatSarif(report: ScanReport, version = '0.1.0'): string {
  const ruleIds = Object.keys(RULES) as RuleId[];
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'sealops',
            version,
            informationUri: 'https://github.com/sealops/sealops',
            rules: ruleIds.map((id) => ({
              id,
              name: id,
              shortDescription: { text: RULES[id] },
              defaultConfiguration: { level: 'error' },
            })),
          },
        },
        columnKind: 'unicodeCodePoints',
        results: report.findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: ruleIds.indexOf(f.rule),
          level: 'error',
          message: { text: `${f.message}. Fix: ${fixFor(f)}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(f.path) },
                region: { startLine: f.line, startColumn: f.column },
              },
            },
          ],
          partialFingerprints: { 'sealops/v1': f.fingerprint },
          ...(f.commit ? { properties: { commit: f.commit } } : {}),
          ...(f.allowed
            ? { suppressions: [{ kind: f.allowed === 'inline' ? 'inSource' : 'external', justification: f.allowed === 'inline' ? 'sealops:allow comment' : '.sealopsignore entry' }] }
            : {}),
        })),
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
