/**
 * Credentials for the guard's tests, built at run time so that no file of this repository holds
 * a string that looks like a live credential (the guard, or any scanner, would flag our own
 * sources). Every value is random and useless: none is a real key or token.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFileSync, spawnSync, type ExecFileSyncOptions } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BECH32 = 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L';

/** `n` random characters of `alphabet`. */
export function randomChars(n: number, alphabet = ALNUM): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[(bytes[i] ?? 0) % alphabet.length];
  return s;
}

function b64url(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

/** One fresh sample of every token format the guard knows, keyed by rule id. */
export function sampleTokens(): Record<string, string> {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    'age-secret-key': ['AGE', 'SECRET', 'KEY', '1'].join('-') + randomChars(58, BECH32),
    'private-key': pem,
    'aws-access-key-id': 'AK' + 'IA' + randomChars(16, UPPER_DIGITS),
    'github-token': 'gh' + 'p_' + randomChars(36),
    'gitlab-token': 'gl' + 'pat-' + randomChars(20),
    'slack-token': 'xo' + 'xb-' + '1234567890' + '-' + '9876543210' + '-' + randomChars(24),
    'slack-webhook': 'https://hooks.' + 'slack.com/services/T' + randomChars(8, UPPER_DIGITS) + '/B' + randomChars(8, UPPER_DIGITS) + '/' + randomChars(24),
    'discord-webhook': 'https://discord.com/api/' + 'webhooks/' + '123456789012345678/' + randomChars(68),
    'google-api-key': 'AI' + 'za' + randomChars(35),
    'stripe-live-key': 'sk' + '_live_' + randomChars(24),
    jwt: `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'user', iat: 1700000000 })}.${randomBytes(32).toString('base64url')}`,
  };
}

/** A throwaway git repository in a temp folder, with a neutral environment. */
export interface TempRepo {
  readonly dir: string;
  /** Runs git in the repository and returns stdout; throws on a non-zero exit. */
  git(args: string[], options?: { env?: NodeJS.ProcessEnv; input?: string }): string;
  /** Runs git and returns exit status and combined output instead of throwing. */
  tryGit(args: string[], options?: { env?: NodeJS.ProcessEnv }): { status: number; output: string };
  write(path: string, text: string | Buffer): void;
  remove(): void;
}

/** Environment without the caller's GIT_* variables and without user/system git config. */
export function cleanGitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return {
    ...env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
    ...extra,
  };
}

/** Creates an empty repository on branch `main`. */
export function tempRepo(prefix = 'sealops-guard-'): TempRepo {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const run = (args: string[], env?: NodeJS.ProcessEnv, input?: string): string => {
    const opts: ExecFileSyncOptions = { cwd: dir, env: cleanGitEnv(env), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] };
    return execFileSync('git', args, input === undefined ? opts : { ...opts, input }) as string;
  };
  run(['init', '-q', '-b', 'main']);
  return {
    dir,
    git: (args, options) => run(args, options?.env, options?.input),
    tryGit: (args, options) => {
      // Both streams: git sends a hook's output to stderr, and a commit's summary to stdout.
      const res = spawnSync('git', args, { cwd: dir, env: cleanGitEnv(options?.env), encoding: 'utf8' });
      return { status: res.status ?? -1, output: `${res.stdout}${res.stderr}` };
    },
    write: (path, text) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A plaintext Secret manifest with one stringData value. */
export function plainSecret(name: string, key: string, value: string): string {
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: apps\ntype: Opaque\nstringData:\n  ${key}: ${JSON.stringify(value)}\n`;
}
