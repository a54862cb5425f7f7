/** Age identities made by Debian's real `age-keygen`, for tests that need a key the reference tool wrote. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerPath } from './peers.js';

/** Runs `fn` with a fresh temp folder, removed afterwards. */
export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'sealops-test-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A new identity file written by the real age-keygen, with the recipient it printed. */
export function ageKeygen(): { file: string; recipient: string } {
  return withTempDir((dir) => {
    execFileSync(peerPath('age-keygen'), ['-o', join(dir, 'k.txt')], { stdio: 'ignore' });
    const file = readFileSync(join(dir, 'k.txt'), 'utf8');
    return { file, recipient: /public key: (age1\S+)/.exec(file)![1]! };
  });
}
