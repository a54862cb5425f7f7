// `sealops keys …` argument handling and bad input without a cluster: usage errors exit 2 with a
// clear message and no stack trace, and nothing is written.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as runIn } from '../helpers.js';

async function run(args: string[], cwd = mkdtempSync(join(tmpdir(), 'sealops-keys-cli-'))): Promise<{ code: number; stderr: string; stdout: string }> {
  const r = await runIn(args, { cwd });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('sealops keys', () => {
  it('refuses a malformed fingerprint, --url with --context, a bad --key-rotation and an empty backup, with exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['keys', 'retire', 'prod-key'], /failed to parse FINGERPRINT "prod-key"/],
      [['keys', 'fetch', '--cluster', 'prod', '--url', 'http://127.0.0.1:9', '--context', 'prod'], /give --context or --url, not both/],
      [['keys', 'fetch', '--cluster', 'prod', '--url', 'ftp://example.com'], /ftp: is not http or https/],
      [['keys', 'restore', '--kubeconfig', '/nonexistent'], /failed to read backup: stdin is empty/],
      [['agent', '--once', '--key-rotation', 'monthly'], /failed to parse --key-rotation "monthly"/],
      [['keys', 'backup'], /required option '--to <RECIPIENT>'/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('fails clearly when the agent URL answers nothing, and writes no config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealops-keys-cli-'));
    const r = await run(['keys', 'fetch', '--cluster', 'prod', '--url', 'http://127.0.0.1:9'], dir);
    expect(r.stderr).toMatch(/^sealops: error: failed to fetch http:\/\/127\.0\.0\.1:9\/v1\/keysets: /);
    expect(r.code).toBe(3);
    expect(readdirSync(dir)).toEqual([]);
  });
});
