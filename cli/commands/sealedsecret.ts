/**
 * The SealedSecret side of `keygen`, `seal`, `unseal` and `verify`: the command files call
 * these for `--rsa` / `--format sealedsecret` or when the input holds a SealedSecret. Each
 * parses its inputs, calls one library function per object and returns the output bytes;
 * where they go (stdout, a file, in place) is the calling command's business.
 */
import { chmod, open, readFile, unlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { CliIo } from '../io.js';
import { warn } from '../io.js';
import { replaceFile } from './sops-shared.js';
import {
  InputError,
  IoError,
  KeyError,
  UsageError,
  describe,
  formatKubesealYaml,
  generateRsaKeyPair,
  isSealedSecret,
  loadRsaPrivateKeys,
  mergeIntoSealedSecret,
  readRsaCertificate,
  readSealedSecretDocuments,
  rsaFingerprint,
  sealSecret,
  unsealSealedSecret,
  verifySealedSecret,
  type SealingScope,
} from '../../src/index.js';

/** Options of `sealops keygen --rsa`. */
export interface RsaKeygenOptions {
  output: string;
  certOut: string;
  cn?: string;
  days?: number;
}

/**
 * `sealops keygen --rsa -o KEY.pem --cert-out CERT.pem`: an RSA-4096 key (PKCS#1 PEM, mode
 * 0600) and its self-signed certificate. Refuses to overwrite either file, and writes
 * neither when one cannot be written.
 */
export async function keygenRsa(opts: RsaKeygenOptions, io: CliIo): Promise<void> {
  if (!opts.output || opts.output === '-' || !opts.certOut || opts.certOut === '-') {
    throw new UsageError('failed to generate rsa key: --rsa needs -o KEY.pem and --cert-out CERT.pem (files, not stdout)');
  }
  const keyPath = at(io, opts.output);
  const certPath = at(io, opts.certOut);
  if (keyPath === certPath) throw new UsageError('failed to generate rsa key: -o and --cert-out name the same file');
  for (const [path, shown] of [
    [keyPath, opts.output],
    [certPath, opts.certOut],
  ] as const) {
    if (existsSync(path)) {
      throw new IoError(`failed to generate rsa key: ${shown} already exists`, {
        hint: 'sealops never overwrites a key file; move it away or choose another path',
      });
    }
  }
  const pair = await generateRsaKeyPair({ commonName: opts.cn, days: opts.days });
  await writeNew(keyPath, opts.output, pair.privateKeyPem, 0o600);
  try {
    await writeNew(certPath, opts.certOut, pair.certificatePem, 0o644);
  } catch (err) {
    await unlink(keyPath).catch(() => undefined);
    throw err;
  }
  io.stderr.write(`sealops: wrote private key ${opts.output} (mode 0600) and certificate ${opts.certOut}\n`);
  io.stderr.write(`Public key fingerprint: ${rsaFingerprint(pair.publicKey)}\n`);
}

/** Options of `sealops seal --format sealedsecret`. */
export interface SealedSecretSealOptions {
  /** Certificate file path or https URL. */
  cert: string;
  scope?: SealingScope;
  /** What the input is called in messages (a file name or `<stdin>`). */
  source: string;
}

async function certificateFor(cert: string, io: CliIo): Promise<KeyObject> {
  if (!cert) {
    throw new UsageError('failed to seal as sealedsecret: no certificate', {
      hint: 'pass --cert CERT.pem or --cert https://…/v1/cert.pem, or configure a certificate for the cluster in .sealops.yaml',
    });
  }
  const read = await readRsaCertificate(cert, { cwd: io.cwd });
  for (const w of read.warnings) warn(io, w);
  return read.publicKey;
}

/**
 * Seals a Secret manifest (YAML or JSON bytes, one or more Secrets, or a `List`) into
 * SealedSecrets printed like `kubeseal -o yaml`.
 */
export async function sealAsSealedSecret(input: Buffer, opts: SealedSecretSealOptions, io: CliIo): Promise<Buffer> {
  const secrets = secretDocuments(input, opts.source);
  const publicKey = await certificateFor(opts.cert, io);
  const out = secrets.map((secret) => formatKubesealYaml(sealSecret(secret, publicKey, { scope: opts.scope, source: opts.source })));
  return Buffer.from(out.join(''));
}

/**
 * `seal --merge-into T a b c`: seals the entries of every Secret of every input into the one
 * SealedSecret T, in argument order (a later input wins a key both hold), and replaces T
 * atomically once, after all of them succeeded. The inputs are never written.
 * Returns how many Secrets were merged.
 */
export async function mergeIntoSealedSecretFile(
  inputs: readonly { bytes: Buffer; source: string }[],
  opts: { cert: string; scope?: SealingScope; mergeInto: string; mergeIntoName: string },
  io: CliIo,
): Promise<number> {
  const secrets = inputs.flatMap((input) => secretDocuments(input.bytes, input.source).map((secret) => ({ secret, source: input.source })));
  const existingText = await readText(opts.mergeInto, opts.mergeIntoName, 'SealedSecret');
  const existing = readSealedSecretDocuments(existingText, opts.mergeIntoName);
  if (existing.length !== 1 || !isSealedSecret(existing[0])) {
    throw new InputError(`failed to merge into ${opts.mergeIntoName}: expected one SealedSecret`);
  }
  const publicKey = await certificateFor(opts.cert, io);
  let merged: unknown = existing[0];
  for (const { secret, source } of secrets) merged = mergeIntoSealedSecret(merged, secret, publicKey, { scope: opts.scope, source });
  // kubeseal --merge-into updates the file in place; so do we, atomically.
  await replaceFile(opts.mergeInto, formatKubesealYaml(merged));
  return secrets.length;
}

/** True when the text holds a bitnami.com SealedSecret (so unseal/verify dispatch here). */
export function isSealedSecretText(text: string): boolean {
  // Cheap test first: most files (SOPS, plain manifests) never mention the kind.
  if (!text.includes('SealedSecret')) return false;
  try {
    return readSealedSecretDocuments(text).some(isSealedSecret);
  } catch {
    return false;
  }
}

/**
 * Unseals every SealedSecret in the input with RSA private keys (PEM files or the
 * controller's key Secret with tls.key; `SEALOPS_KEY_FILE` when no file is given) and
 * returns the Secrets as YAML.
 */
export async function unsealSealedSecretText(input: Buffer, keyFiles: string[], source: string, io: CliIo): Promise<Buffer> {
  const docs = sealedDocuments(input, source);
  const keys = await loadKeyFiles(keyFiles, io, true);
  const out = docs.map((doc) => formatKubesealYaml(unsealSealedSecret(doc, keys)));
  return Buffer.from(out.join(''));
}

/** Verifies a SealedSecret: structurally without keys, fully with them. */
export async function verifySealedSecretText(
  input: Buffer,
  keyFiles: string[],
  source: string,
  io: CliIo,
): Promise<{ ok: boolean; problems: string[] }> {
  const docs = sealedDocuments(input, source);
  const keys = keyFiles.length > 0 ? await loadKeyFiles(keyFiles, io, false) : [];
  const problems: string[] = [];
  for (const doc of docs) {
    const result = verifySealedSecret(doc, keys);
    const meta = (doc as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
    const name = [meta?.namespace, meta?.name].filter((x) => typeof x === 'string' && x !== '').join('/');
    for (const p of result.problems) problems.push(`${source}: SealedSecret ${name || '(unnamed)'}: ${p}`);
  }
  return { ok: problems.length === 0, problems };
}

function secretDocuments(input: Buffer, source: string): unknown[] {
  const docs = readSealedSecretDocuments(input.toString('utf8'), source);
  const secrets: unknown[] = [];
  for (const doc of docs) {
    const d = doc as { kind?: unknown; items?: unknown };
    if (d.kind === 'List' && Array.isArray(d.items)) secrets.push(...(d.items as unknown[]));
    else secrets.push(doc);
  }
  if (secrets.length === 0) throw new InputError(`failed to seal ${source}: no Secret found`);
  secrets.forEach((s, i) => {
    const kind = (s as { kind?: unknown } | null)?.kind;
    if (kind !== 'Secret') {
      throw new InputError(`failed to seal ${source}: document ${i + 1} is ${typeof kind === 'string' ? `a ${kind}` : 'not a manifest'}, not a Secret`);
    }
  });
  return secrets;
}

function sealedDocuments(input: Buffer, source: string): unknown[] {
  const docs = readSealedSecretDocuments(input.toString('utf8'), source);
  if (docs.length === 0) throw new InputError(`failed to read ${source}: no SealedSecret found`);
  docs.forEach((doc, i) => {
    if (!isSealedSecret(doc)) throw new InputError(`failed to read ${source}: document ${i + 1} is not a SealedSecret`);
  });
  return docs;
}

async function loadKeyFiles(keyFiles: string[], io: CliIo, useEnv: boolean): Promise<KeyObject[]> {
  const files = keyFiles.length > 0 ? keyFiles : useEnv && io.env.SEALOPS_KEY_FILE ? [io.env.SEALOPS_KEY_FILE] : [];
  if (files.length === 0) {
    throw new KeyError('failed to unseal SealedSecret: no private key given', {
      hint: 'pass -k KEY.pem (the cluster RSA key, or the controller key Secret backup) or set SEALOPS_KEY_FILE',
    });
  }
  const keys: KeyObject[] = [];
  for (const file of files) {
    const text = await readText(at(io, file), file, 'key file');
    // The same -k list may carry age identities for SOPS files; they are not for us.
    if (/^AGE-SECRET-KEY-/m.test(text) && !text.includes('PRIVATE KEY') && files.length > 1) continue;
    keys.push(...loadRsaPrivateKeys(text, file));
  }
  if (keys.length === 0) throw new KeyError(`failed to unseal SealedSecret: none of ${files.join(', ')} holds an RSA private key`);
  return keys;
}

async function readText(path: string, shown: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new IoError(`failed to read ${what} ${shown}: ${describe(err)}`, { cause: err });
  }
}

async function writeNew(path: string, shown: string, text: string, mode: number): Promise<void> {
  let handle;
  try {
    // 'wx' fails if the file appeared since the check: never overwrite a key.
    handle = await open(path, 'wx', mode);
    await handle.writeFile(text);
  } catch (err) {
    throw new IoError(`failed to write ${shown}: ${describe(err)}`, { cause: err });
  } finally {
    await handle?.close();
  }
  await chmod(path, mode);
}

function at(io: CliIo, file: string): string {
  return isAbsolute(file) ? file : resolve(io.cwd, file);
}
