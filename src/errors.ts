/**
 * Error classes, their codes, the one table of exit statuses, and the redaction helper.
 *
 * Messages follow `failed to <verb> <object>: <cause>`, lowercase, and never carry a secret
 * value: they name files and key paths only. `redact()` is the last line of defence for text
 * that may have been built from untrusted or secret-bearing input (git stderr, API bodies).
 */

/** Every error code sealops raises. The exit status of each lives in {@link EXIT_CODES}. */
export type ErrorCode =
  | 'USAGE' // the command line is wrong
  | 'INPUT' // a file or manifest is malformed, too large, or of the wrong shape
  | 'KEY' // no key matches, a key file is missing or malformed
  | 'MAC' // a SOPS file's MAC does not match its content
  | 'DECRYPT' // a value failed authentication (tampered, truncated, swapped)
  | 'CONFIG' // .sealops.yaml / .sops.yaml is wrong or picks no recipients
  | 'IO' // a file could not be read or written
  | 'GIT' // a git operation failed
  | 'KUBE' // the Kubernetes API refused or could not be reached
  | 'ENVIRONMENT' // a required tool or binary is missing
  | 'SCOPE' // a sealed Secret's bound namespace/name differs from where it now stands
  | 'INTERNAL'; // a bug: an error sealops did not throw on purpose

/**
 * Exit status for each error code. 0 is success and 1 means "the check found something"
 * (scan findings, a failed verify); both are results, not errors, so they are not here.
 */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = Object.freeze({
  USAGE: 2,
  INPUT: 2,
  KEY: 3,
  MAC: 4,
  DECRYPT: 5,
  CONFIG: 6,
  IO: 7,
  GIT: 8,
  KUBE: 9,
  ENVIRONMENT: 10,
  SCOPE: 11,
  INTERNAL: 70,
});

/** Exit status of success, and of a run cut short by a reader that closed the pipe (`| head`). */
export const EXIT_OK = 0;

/** Exit status when a check (scan, verify) ran and found something. */
export const EXIT_FINDINGS = 1;

/** Exit status of a run stopped by SIGINT (Ctrl-C) after it finished what it had started: 128 + 2, as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** Base class of every error sealops throws on purpose. */
export class SealopsError extends Error {
  /** Stable machine-readable code; maps to an exit status through {@link EXIT_CODES}. */
  readonly code: ErrorCode;
  /** Optional advice for the user, printed as `sealops: hint: …`. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options?.hint;
  }

  /** The process exit status for this error. */
  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

/** The command line is wrong. */
export class UsageError extends SealopsError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('USAGE', message, options);
  }
}

/** Input is malformed, oversized, or not what the operation needs. */
export class InputError extends SealopsError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('INPUT', message, options);
  }
}

/** No key could open the data, or a key file is missing or malformed. */
export class KeyError extends SealopsError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('KEY', message, options);
  }
}

/** A SOPS MAC does not match the file's content. */
export class MacError extends SealopsError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('MAC', message, options);
  }
}

/** A value failed authenticated decryption. */
export class DecryptError extends SealopsError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('DECRYPT', message, options);
  }
}

/** Repository configuration is wrong. */
export class ConfigError extends SealopsError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('CONFIG', message, options);
  }
}

/**
 * A sealed Secret stands under another namespace or name than it was sealed for (its
 * `sealops.dev/scope` binding, or a SealedSecret's label, says otherwise): refused unopened.
 */
export class ScopeError extends SealopsError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('SCOPE', message, options);
  }
}

/** A file could not be read or written. */
export class IoError extends SealopsError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('IO', message, options);
  }
}

/** A git operation failed. */
export class GitError extends SealopsError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('GIT', message, options);
  }
}

/** The Kubernetes API refused a request or could not be reached. */
export class KubeError extends SealopsError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('KUBE', message, options);
  }
}

/** A required external tool is missing. */
export class EnvironmentError extends SealopsError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super('ENVIRONMENT', message, options);
  }
}

/** The placeholder that replaces a redacted secret. */
export const REDACTED = '[REDACTED]';

/**
 * Replaces every occurrence of each secret in `text` with {@link REDACTED}, including the
 * secret's standard base64 form (Secret `data` carries values that way). Secrets shorter
 * than 4 bytes are skipped: replacing them would shred ordinary words and hide nothing.
 */
export function redact(text: string, secrets: Iterable<string | Uint8Array>): string {
  const needles = new Set<string>();
  for (const s of secrets) {
    const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s);
    if (bytes.length < 4) continue;
    needles.add(bytes.toString('utf8'));
    needles.add(bytes.toString('base64'));
  }
  // Longest first, so a secret that contains another is replaced whole.
  let out = text;
  for (const needle of [...needles].sort((a, b) => b.length - a.length)) {
    if (needle.length >= 4) out = out.split(needle).join(REDACTED);
  }
  return out;
}

/**
 * The one rendering of a thrown value for a terminal: `sealops: error: …` (and `sealops: hint: …`)
 * with its exit status. An error sealops did not throw on purpose is a bug: only its message is
 * shown (a stack may carry input text) and it exits {@link EXIT_CODES}.INTERNAL.
 */
export function formatError(err: unknown): { text: string; exitCode: number } {
  if (err instanceof SealopsError) {
    return { text: `sealops: error: ${err.message}\n${err.hint ? `sealops: hint: ${err.hint}\n` : ''}`, exitCode: err.exitCode };
  }
  return { text: `sealops: error: internal error: ${describe(err)}\n`, exitCode: EXIT_CODES.INTERNAL };
}

/** Text of an unknown thrown value, for wrapping as a cause in a message. */
export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

const REBUILT: Partial<Record<ErrorCode, new (message: string) => SealopsError>> = { DECRYPT: DecryptError, INPUT: InputError, KEY: KeyError, MAC: MacError };

/**
 * An error a worker thread reported (its code and message: errors do not cross threads), as the
 * class the same work on this thread would have thrown; no code is a decrypt failure.
 */
export function rebuildError(code: ErrorCode | undefined, message: string): SealopsError {
  if (!code) return new DecryptError(message);
  const Class = REBUILT[code];
  return Class ? new Class(message) : new SealopsError(code, message);
}
