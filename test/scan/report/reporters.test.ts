import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJson } from '../../../src/scan/report/json.js';
import { formatSarif } from '../../../src/scan/report/sarif.js';
import { formatText } from '../../../src/scan/report/text.js';
import { scanWorkTree, type ScanReport } from '../../../src/scan/scan.js';
import { plainSecret, randomChars, sampleTokens } from '../samples.js';

describe('reporters', () => {
  let dir: string;
  let report: ScanReport;
  const secrets: string[] = [];

  beforeAll(async () => {
    // A plain folder (not a git repository): the working-tree scan walks it.
    dir = mkdtempSync(join(tmpdir(), 'sealops-report-'));
    const tokens = sampleTokens();
    const pw = randomChars(18);
    const allowed = randomChars(18);
    secrets.push(pw, allowed, ...Object.values(tokens));
    writeFileSync(join(dir, 'db.yaml'), plainSecret('db', 'password', pw));
    writeFileSync(join(dir, 'allowed.yaml'), plainSecret('fixture', 'password', allowed).replace('stringData:', 'stringData: # sealops:allow test fixture'));
    writeFileSync(join(dir, 'tokens.txt'), Object.values(tokens).join('\n\n') + '\n');
    writeFileSync(join(dir, 'broken.json'), '{"a": ');
    writeFileSync(join(dir, 'b64.yaml'), `apiVersion: v1\nkind: Secret\ndata:\n  k: ${Buffer.from(pw).toString('base64')}\n`);
    report = await scanWorkTree({ cwd: dir });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const allFormats = () => [formatText(report), formatJson(report), formatSarif(report)];

  it('print no secret, in plaintext or base64, in any format', () => {
    expect(report.findings.length).toBeGreaterThan(12);
    for (const out of allFormats()) {
      for (const s of secrets) {
        for (const line of s.split('\n').filter((l) => l.length >= 8 && !l.startsWith('-----'))) {
          expect(out).not.toContain(line);
          expect(out).not.toContain(Buffer.from(line).toString('base64'));
        }
      }
    }
  });

  it('text names file:line, rule, why and the fix, and lists the allowed finding as allowed', () => {
    const text = formatText(report);
    expect(text).toMatch(/^db\.yaml:8:\d+: finding: secret-plaintext-stringdata: Secret db: stringData\.password holds a plaintext value$/m);
    expect(text).toContain('  fix: sealops seal --in-place db.yaml');
    expect(text).toMatch(/^allowed\.yaml:8:\d+: allowed \(sealops:allow comment\): secret-plaintext-stringdata/m);
    expect(text).toMatch(/^broken\.json:1:\d+: error: parse-error/m);
  });

  it('json carries counts, status and every finding with its fingerprint', () => {
    const body = JSON.parse(formatJson(report));
    expect(body.status).toBe(2);
    expect(body.summary.errors).toBe(1);
    expect(body.summary.allowed).toBe(1);
    expect(body.findings.find((f: { path: string }) => f.path === 'db.yaml')).toMatchObject({ rule: 'secret-plaintext-stringdata', line: 8, allowed: null, fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const rules = new Set(body.findings.map((f: { rule: string }) => f.rule));
    for (const r of Object.keys(sampleTokens())) expect(rules.has(r), r).toBe(true);
  });

  it('sarif is a 2.1.0 log whose results point at rules, regions and carry suppressions for allowed findings', () => {
    const log = JSON.parse(formatSarif(report));
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0];
    const ids = run.tool.driver.rules.map((r: { id: string }) => r.id);
    for (const r of run.results) {
      expect(ids[r.ruleIndex]).toBe(r.ruleId);
      expect(r.locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
      expect(r.partialFingerprints['sealops/v1']).toMatch(/^[0-9a-f]{32}$/);
    }
    const allowed = run.results.filter((r: { suppressions?: unknown[] }) => r.suppressions);
    expect(allowed).toHaveLength(1);
    expect(allowed[0].suppressions[0].kind).toBe('inSource');
  });
});
