/**
 * The real `sops` binary as an interop peer: a private folder with age keys, and a runner with
 * a clean environment (no key of the machine, no update check).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAgeKeyFile, generateAgeKeyPair, type AgeKeyPair } from '../../src/index.js';
import { peerPath } from './peers.js';

/** What one sops run gave. */
export interface SopsRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** A folder with `count` age keys (`key0.txt`…) and a way to run sops there with some of them. */
export interface SopsPeer {
  dir: string;
  keys: AgeKeyPair[];
  /** Runs `sops args…` in `dir`, able to open what the keys at `keyIndexes` open (default: all). */
  run(args: string[], opts?: { keyIndexes?: number[]; stdin?: string }): SopsRun;
  /** Like run, but throws with stderr on a non-zero exit. */
  ok(args: string[], opts?: { keyIndexes?: number[]; stdin?: string }): string;
  /** Writes `text` to `name` in `dir` and returns its path. */
  write(name: string, text: string): string;
  cleanup(): void;
}

/** Creates a peer folder with `count` fresh age keys. */
export async function sopsPeer(count = 1): Promise<SopsPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'sealops-sops-peer-'));
  const keys = await Promise.all(Array.from({ length: count }, () => generateAgeKeyPair()));
  const run = (args: string[], opts: { keyIndexes?: number[]; stdin?: string } = {}): SopsRun => {
    const chosen = (opts.keyIndexes ?? keys.map((_, i) => i)).map((i) => keys[i] as AgeKeyPair);
    const keyFile = join(dir, `keys-${chosen.length}-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(keyFile, chosen.map((k) => formatAgeKeyFile(k.identity, k.recipient)).join(''), { mode: 0o600 });
    const r = spawnSync(peerPath('sops'), args, {
      cwd: dir,
      input: opts.stdin ?? '',
      env: { PATH: process.env.PATH, HOME: dir, SOPS_AGE_KEY_FILE: keyFile, SOPS_DISABLE_VERSION_CHECK: '1' },
    });
    rmSync(keyFile, { force: true });
    return { status: r.status ?? -1, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
  };
  return {
    dir,
    keys,
    run,
    ok(args, opts) {
      const r = run(args, opts);
      if (r.status !== 0) throw new Error(`sops ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
      return r.stdout;
    },
    write(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
