/**
 * Writing a cluster's public keys into `.sealops.yaml` (`sealops keys fetch`): the cluster's
 * entry gets its newest recipients, certificate file, `keySet` fingerprint, and the public keys
 * of its older sets as `previous` (still opened by the cluster) or `retired` (not any more); every other entry and every comment of the file stays. The
 * file and the certificate are each written to a temp file beside them and renamed, so a
 * reader sees the old file or the new one, never half of one. No private key is read.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { isMap, parseDocument, type Document } from 'yaml';
import { ConfigError, IoError, describe } from '../errors.js';
import { replaceFile } from '../formats/replace.js';
import { rsaFingerprint } from '../crypto/rsa-fingerprint.js';
import { parseSealopsConfig } from './config.js';

/** One key set's public halves, as `keysets.json` lists it. */
export interface PublicKeySet {
  readonly fingerprint: string;
  readonly createdAt: string;
  readonly recipients: readonly string[];
  readonly certificates: readonly string[];
  readonly state: 'active' | 'previous' | 'retired';
}

/** What {@link writeClusterKeys} wrote. */
export interface WriteClusterKeysResult {
  readonly configFile: string;
  /** The certificate file, when the active set has a certificate. */
  readonly certificateFile?: string;
  readonly keySet: string;
  readonly recipients: readonly string[];
  readonly previous: readonly string[];
  readonly retired: readonly string[];
}

/**
 * Sets cluster `name` of the `.sealops.yaml` at `configFile` (created when absent) from `sets`
 * (the cluster's listing): recipients, certificate (written to `certs/<name>.pem` beside the
 * config), keySet, and previous / retired (age recipients and RSA `SHA256:` fingerprints of
 * every set but the active one, by the set's state). Refuses a listing without an active set, and a config that does not parse
 * (the file is left as it was).
 */
export async function writeClusterKeys(configFile: string, name: string, sets: readonly PublicKeySet[]): Promise<WriteClusterKeysResult> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new ConfigError(`failed to write cluster "${name}": use letters, digits, '.', '_' and '-'`);
  const active = sets.find((s) => s.state === 'active');
  if (!active) throw new ConfigError(`failed to write cluster "${name}": the cluster lists no active key set (is the agent running?)`);
  const text = await readFile(configFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw new IoError(`failed to read ${configFile}: ${describe(err)}`, { cause: err });
  });
  const doc: Document = parseDocument(text || '{}\n');
  if (doc.errors.length > 0) throw new ConfigError(`failed to read ${configFile}: ${doc.errors[0]!.message}`);
  if (!text) doc.contents = doc.createNode({});
  if (!isMap(doc.contents)) throw new ConfigError(`failed to read ${configFile}: expected a mapping at the top`);

  const older = { previous: [] as string[], retired: [] as string[] };
  for (const s of sets) {
    if (s.fingerprint === active.fingerprint) continue;
    const into = s.state === 'retired' ? older.retired : older.previous;
    const add = (k: string): void => void (!older.previous.includes(k) && !older.retired.includes(k) && into.push(k));
    for (const r of s.recipients) if (!active.recipients.includes(r)) add(r);
    for (const pem of s.certificates) add(rsaFingerprint(new X509Certificate(pem).publicKey));
  }
  const { previous, retired } = older;
  let certificateFile: string | undefined;
  let certRef: string | undefined;
  if (active.certificates.length > 0) {
    certificateFile = join(dirname(configFile), 'certs', `${name}.pem`);
    certRef = relative(dirname(configFile), certificateFile).split(sep).join('/');
  }
  const path = ['clusters', name];
  if (!doc.hasIn(['clusters']) || doc.getIn(['clusters']) === null) doc.setIn(['clusters'], doc.createNode({}));
  if (!isMap(doc.getIn(path))) doc.setIn(path, doc.createNode({}));
  doc.setIn([...path, 'recipients'], doc.createNode([...active.recipients]));
  if (doc.hasIn([...path, 'age'])) doc.deleteIn([...path, 'age']);
  if (certRef) doc.setIn([...path, 'certificate'], certRef);
  else if (doc.hasIn([...path, 'certificate'])) doc.deleteIn([...path, 'certificate']);
  doc.setIn([...path, 'keySet'], active.fingerprint);
  for (const [field, keys] of [['previous', previous], ['retired', retired]] as const) {
    if (keys.length > 0) doc.setIn([...path, field], doc.createNode(keys));
    else if (doc.hasIn([...path, field])) doc.deleteIn([...path, field]);
  }
  const out = doc.toString({ lineWidth: 0 });
  // What we write must read back: never leave a config the next command refuses.
  parseSealopsConfig(out, configFile);
  if (certificateFile) replaceFile(certificateFile, active.certificates.join(''), { createFolder: true });
  replaceFile(configFile, out);
  return { configFile, ...(certificateFile ? { certificateFile } : {}), keySet: active.fingerprint, recipients: active.recipients, previous, retired };
}

/** The `.sealops.yaml` that commands run from `cwd` read (the nearest one up), else `cwd/.sealops.yaml`. */
export function findConfigFile(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.sealops.yaml'))) return join(dir, '.sealops.yaml');
    if (dirname(dir) === dir) return join(cwd, '.sealops.yaml');
  }
}
