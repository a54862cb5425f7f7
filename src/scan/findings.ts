/**
 * What the guard reports: findings (a secret would be committed), errors (a file could not be
 * judged), notes (a file was skipped), and the fingerprint that names a finding without its
 * line number, so an exception stays valid when lines move.
 */
import { createRequire } from 'node:module';

// node:crypto is loaded only when there is a finding to fingerprint: a clean commit (the usual
// case of the pre-commit hook) does not pay for it.
const requireBuiltin = createRequire(import.meta.url);

/** Every rule id the guard reports. The text of each lives in {@link RULES}. */
export type RuleId =
  | 'secret-plaintext-data'
  | 'secret-plaintext-stringdata'
  | 'secret-invalid-data'
  | 'secret-last-applied'
  | 'sops-unencrypted-value'
  | 'sops-malformed'
  | 'sops-mac'
  | 'sops-metadata'
  | 'sops-no-recipients'
  | 'sealedsecret-plaintext-template'
  | 'sealedsecret-malformed'
  | 'kustomize-literal'
  | 'kustomize-unsealed-file'
  | 'age-secret-key'
  | 'private-key'
  | 'aws-access-key-id'
  | 'github-token'
  | 'gitlab-token'
  | 'slack-token'
  | 'slack-webhook'
  | 'discord-webhook'
  | 'google-api-key'
  | 'stripe-live-key'
  | 'jwt'
  | 'parse-error'
  | 'file-too-large';

/** Short title of each rule, used by the reporters and SARIF rule metadata. */
export const RULES: Readonly<Record<RuleId, string>> = Object.freeze({
  'secret-plaintext-data': 'plaintext value in a Secret\'s data',
  'secret-plaintext-stringdata': 'plaintext value in a Secret\'s stringData',
  'secret-invalid-data': 'Secret data value is not base64 (plaintext written where base64 belongs)',
  'secret-last-applied': 'last-applied-configuration annotation holds a Secret\'s values in clear',
  'sops-unencrypted-value': 'SOPS file leaves a data/stringData value unencrypted',
  'sops-malformed': 'SOPS file is malformed',
  'sops-mac': 'SOPS file has a missing or malformed MAC',
  'sops-metadata': 'SOPS metadata is incomplete',
  'sops-no-recipients': 'SOPS file names no recipient or key group',
  'sealedsecret-plaintext-template': 'plaintext value in a SealedSecret\'s template data',
  'sealedsecret-malformed': 'SealedSecret value is not a sealed value',
  'kustomize-literal': 'plaintext secretGenerator literal',
  'kustomize-unsealed-file': 'secretGenerator reads a file that is not sealed',
  'age-secret-key': 'age secret key',
  'private-key': 'PEM private key',
  'aws-access-key-id': 'AWS access key id',
  'github-token': 'GitHub token',
  'gitlab-token': 'GitLab personal access token',
  'slack-token': 'Slack token',
  'slack-webhook': 'Slack incoming webhook URL',
  'discord-webhook': 'Discord webhook URL',
  'google-api-key': 'Google API key',
  'stripe-live-key': 'Stripe live secret key',
  jwt: 'JSON Web Token',
  'parse-error': 'file cannot be parsed',
  'file-too-large': 'file is over the size cap and was not judged',
});

/** How an exception was granted. */
export type Allowance = 'inline' | 'ignore-file';

/** One thing the guard found in one file. Carries no secret byte. */
export interface Finding {
  readonly rule: RuleId;
  /** Path relative to the top of the repository (or as given), `/`-separated. */
  readonly path: string;
  /** 1-based line of the offending value (or of its key). */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** Why it was flagged, in words that name keys and files, never values. */
  readonly message: string;
  /** `finding` blocks with exit 1; `error` (cannot judge the file) exits 2. */
  readonly severity: 'finding' | 'error';
  /** Stable id: see {@link fingerprint}. */
  readonly fingerprint: string;
  /** Set when a reviewed exception allows this finding. */
  readonly allowed?: Allowance;
  /** For `--history`: the commit that introduced the file version. */
  readonly commit?: string;
}

/** A file that was not judged, and why (binary, too large, a template). */
export interface Note {
  readonly path: string;
  readonly message: string;
  readonly commit?: string;
}

/**
 * The fingerprint of a finding: SHA-256 over rule, path and the secret (or, for structural
 * findings, the offending key path), truncated to 128 bits, hex. It does not include the line,
 * so it survives lines moving; it changes when the secret changes, so a reviewed exception does
 * not silently cover a new value.
 */
export function fingerprint(rule: RuleId, path: string, subject: string | Uint8Array): string {
  const { createHash } = requireBuiltin('node:crypto') as typeof import('node:crypto');
  const h = createHash('sha256');
  h.update(`sealops-fingerprint-v1\0${rule}\0${path}\0`);
  h.update(subject);
  return h.digest('hex').slice(0, 32);
}

/** A finding before its path, fingerprint and allowance are settled. */
export interface RawFinding {
  readonly rule: RuleId;
  /** Character offset in the file's text where the finding points. */
  readonly offset: number;
  readonly message: string;
  readonly severity?: 'finding' | 'error';
  /** The secret or key path the fingerprint is computed over; never printed. */
  readonly subject: string | Uint8Array;
  /** Character offsets of the flagged value, so token rules do not report it twice. */
  readonly span?: readonly [number, number];
}
