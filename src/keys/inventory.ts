/**
 * The repository side of `keys list`: every sealed file under a folder (SOPS in any store, and
 * SealedSecrets), whom each is sealed to, and which clusters its path rule picks, read from
 * metadata only — no key is needed and no value is opened.
 *
 * A SOPS file names its recipients (one age stanza each). A SealedSecret does not: its values
 * are RSA-OAEP ciphertexts that name no key, so offline all that can be said is the key size
 * (the ciphertext is as long as the modulus) and the scope. Which certificate a SealedSecret was
 * sealed to is known only to whoever holds the private keys (the agent).
 */
import { relative, resolve, sep } from 'node:path';
import { parseHybridEnvelope } from '../crypto/rsa-oaep.js';
import { ConfigError, SealopsError } from '../errors.js';
import { detectFormat, isSealableName, readInputFile, sealedRecipients, type FileFormat, type Input } from '../formats/index.js';
import { readSealedSecretDocuments } from '../formats/sealedsecret/codec.js';
import { isSealedSecret } from '../formats/sealedsecret/unseal.js';
import { scopeFromAnnotations } from '../formats/sealedsecret/types.js';
import { isRecord } from '../util/record.js';
import { walkFiles } from '../util/walk.js';
import { createConfigCache, resolveRecipients, type ClusterConfig, type ConfigCache, type SealopsConfig } from './config.js';

/** One sealed file of the repository. */
export interface SealedFileInfo {
  /** Path relative to the folder listed, `/`-separated. */
  readonly file: string;
  readonly format: 'sops' | 'sealedsecret';
  /** SOPS: the age recipients of its stanzas. */
  readonly recipients?: readonly string[];
  /** SealedSecret: what the ciphertext tells (key size, scope), since it names no key. */
  readonly sealedTo?: string;
  /** Clusters of `.sealops.yaml` whose path rule picks this file. */
  readonly clusters: readonly string[];
}

/** A problem of the configuration or of a file that could not be judged. */
export interface InventoryIssue {
  readonly kind: 'unknown-cluster' | 'unreadable';
  readonly file: string;
  readonly message: string;
}

/** What {@link readRepositoryInventory} found. */
export interface RepositoryInventory {
  readonly root: string;
  /** The `.sealops.yaml` that governs the folder, when one parses. */
  readonly config?: SealopsConfig;
  readonly files: readonly SealedFileInfo[];
  /** Every cluster a file's rule picked, by name (from whichever `.sealops.yaml` decided). */
  readonly clusters: ReadonlyMap<string, ClusterConfig>;
  readonly issues: readonly InventoryIssue[];
}

function sealedSecretNote(text: string, source: string): string {
  const bits = new Set<number>();
  const scopes = new Set<string>();
  for (const doc of readSealedSecretDocuments(text, source)) {
    if (!isSealedSecret(doc) || !isRecord(doc)) continue;
    const meta = isRecord(doc.metadata) ? doc.metadata : {};
    scopes.add(scopeFromAnnotations(isRecord(meta.annotations) ? meta.annotations : undefined));
    const spec = isRecord(doc.spec) ? doc.spec : {};
    for (const v of Object.values(isRecord(spec.encryptedData) ? spec.encryptedData : {})) {
      try {
        if (typeof v === 'string') bits.add(parseHybridEnvelope(Buffer.from(v, 'base64')).rsaCiphertext.length * 8);
      } catch {
        // a malformed value is verify's business; here it just tells nothing
      }
    }
  }
  const size = bits.size === 0 ? 'an RSA key' : [...bits].sort().map((b) => `an RSA-${b} key`).join(' or ');
  return `${size} (not named by the ciphertext), ${[...scopes].sort().join('/') || 'strict'}`;
}

/** The file as a sealed file, undefined when it is not one. */
function inspect(path: string, rel: string, base: string): Omit<SealedFileInfo, 'clusters'> | undefined {
  let input: Input;
  try {
    input = readInputFile(rel, base);
  } catch {
    // Over the size cap or not UTF-8: nothing sealops writes, so not a sealed file.
    return undefined;
  }
  if (!input.text.includes('sops') && !input.text.includes('SealedSecret')) return undefined;
  const format: FileFormat = detectFormat({ path, text: input.text });
  if (format.kind === 'sealedsecret') return { file: rel, format: 'sealedsecret', sealedTo: sealedSecretNote(input.text, rel) };
  try {
    return { file: rel, format: 'sops', recipients: sealedRecipients({ text: input.text, source: rel, format }) };
  } catch (err) {
    // Not SOPS at all is fine; something that looks sealed but does not parse is reported.
    if (/ENC\[AES256_GCM,/.test(input.text)) throw err;
    return undefined;
  }
}

const UNKNOWN_CLUSTER = /unknown cluster "([^"]+)"/;

/** The config's problem as an issue when it is one `keys list` reports (unknown cluster); else rethrown. */
function configIssue(err: unknown, file: string): InventoryIssue {
  if (err instanceof ConfigError && UNKNOWN_CLUSTER.test(err.message)) return { kind: 'unknown-cluster', file, message: err.message };
  throw err;
}

/**
 * Reads every sealed file under `root` (relative to `cwd`) and the configuration that governs
 * them. A rule naming a cluster the config does not define is an issue, not an error, so CI
 * sees it with the rest; any other configuration error is thrown.
 */
export async function readRepositoryInventory(root: string, cwd: string, cache: ConfigCache = createConfigCache()): Promise<RepositoryInventory> {
  const base = resolve(cwd, root);
  const issues: InventoryIssue[] = [];
  let config: SealopsConfig | undefined;
  try {
    const top = await resolveRecipients({ cwd: base, cache });
    if (top.configFile) config = cache.parsed.get(top.configFile);
  } catch (err) {
    issues.push(configIssue(err, '.sealops.yaml'));
  }
  const files: SealedFileInfo[] = [];
  const picked = new Map<string, ClusterConfig>(config ? [...config.clusters] : []);
  for (const path of walkFiles(base, isSealableName)) {
    const rel = relative(base, path).split(sep).join('/');
    let info: Omit<SealedFileInfo, 'clusters'> | undefined;
    try {
      info = inspect(path, rel, base);
    } catch (err) {
      if (!(err instanceof SealopsError)) throw err;
      issues.push({ kind: 'unreadable', file: rel, message: err.message });
      continue;
    }
    if (!info) continue;
    let clusters: readonly ClusterConfig[] = [];
    try {
      clusters = (await resolveRecipients({ target: path, cwd: base, cache })).clusters;
    } catch (err) {
      const issue = configIssue(err, rel);
      if (!issues.some((i) => i.message === issue.message)) issues.push(issue);
    }
    for (const c of clusters) if (!picked.has(c.name)) picked.set(c.name, c);
    files.push({ ...info, clusters: clusters.map((c) => c.name) });
  }
  return { root: base, ...(config ? { config } : {}), files, clusters: picked, issues };
}
