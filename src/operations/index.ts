/**
 * What each file command does, as one library call: plan and seal, merge, unseal, verify,
 * rekey and rotate a list of inputs. The CLI parses options, calls one of these and prints;
 * nothing here reads argv, prints or exits. Every input is processed before any file is
 * written, so a failure leaves all of them as they were.
 */
import { dirname, resolve } from 'node:path';
import type { SealingScope } from '../crypto/rsa-oaep.js';
import { ConfigError, SealopsError, UsageError } from '../errors.js';
import {
  detectFormat,
  formatFor,
  mergeIntoSealedSecretFile,
  requireAgeIdentities,
  requireRsaKeys,
  sealText,
  sealedRecipients,
  type FileResult,
  type Input,
  type KeyRing,
  type SealTarget,
  type SealedText,
} from '../formats/index.js';
import { detectSopsFormat, type KeyPlan, type SopsFormat } from '../formats/sops/index.js';
import { createConfigCache, resolveRecipients, type ConfigCache, type ResolvedRecipients } from '../keys/config.js';
import { readRsaCertificate } from '../keys/rsa-cert.js';
import { mapLimit } from '../util/pool.js';
import { sealFleet } from './fleet.js';

/** The recipients, and key groups with their threshold when a `.sops.yaml` rule has them (a plan for rekeying). */
export function keyPlanOf(resolved: ResolvedRecipients): KeyPlan {
  return {
    recipients: resolved.recipients,
    ...(resolved.keyGroups ? { keyGroups: resolved.keyGroups, ...(resolved.shamirThreshold !== undefined ? { shamirThreshold: resolved.shamirThreshold } : {}) } : {}),
  };
}

/** What a command run shares: where it runs, one config cache, and where warnings and progress go. */
export interface OperationContext {
  readonly cwd: string;
  /** One per command run: `.sealops.yaml` is read and parsed once for all its files. */
  readonly configCache?: ConfigCache;
  /** Warnings for the user (an expiring certificate); never a secret. */
  readonly warn?: (message: string) => void;
  /** Called once per input as it finishes, for a progress bar. */
  readonly progress?: (done: number, total: number) => void;
}

/** Files processed at once: overlaps reads and age's asynchronous WebCrypto calls. */
const CONCURRENCY = 8;

/** What `seal` was asked for; anything left out comes from `.sealops.yaml` / `.sops.yaml`. */
export interface SealRequest {
  /** age recipients given on the command line (`-r`). */
  readonly recipients?: readonly string[];
  /** SealedSecret certificate file or URL (`--cert`); implies the SealedSecret format. */
  readonly cert?: string;
  readonly format?: 'sops' | 'sealedsecret';
  readonly scope?: SealingScope;
  /** Clusters of `.sealops.yaml` to seal for (`--cluster`). */
  readonly clusters?: readonly string[];
  /** SOPS store, when the file name and content do not say (`--input-type`). */
  readonly store?: SopsFormat;
}

/**
 * Decides how one input is sealed: the SOPS recipients (and selection rules) or the
 * SealedSecret certificate, from the request and the configuration for the input's path.
 */
export async function planSeal(input: Pick<Input, 'path' | 'source'> & { text?: string }, request: SealRequest, ctx: OperationContext): Promise<SealTarget> {
  const explicit = request.recipients ?? [];
  const wantsSealedSecret = request.format === 'sealedsecret' || request.cert !== undefined;
  if (wantsSealedSecret && explicit.length > 0) throw new UsageError('failed to parse arguments: -r is for the sops format; SealedSecrets use --cert');
  const clusters = request.clusters ? [...request.clusters] : undefined;
  const resolved = explicit.length > 0 && !clusters ? undefined : await resolveRecipients({ target: input.path, cwd: ctx.cwd, clusters, cache: ctx.configCache });
  let cert = request.cert;
  if (!cert && resolved && (wantsSealedSecret || (resolved.recipients.length === 0 && explicit.length === 0))) {
    const withCert = resolved.clusters.filter((c) => c.certificate);
    if (withCert.length > 1) throw new UsageError('failed to choose a certificate: several clusters have one; seal for one --cluster at a time');
    const c = withCert[0]?.certificate;
    if (c && resolved.configFile) cert = /^https?:\/\//.test(c) ? c : resolve(dirname(resolved.configFile), c);
  }
  if (wantsSealedSecret || (cert && explicit.length === 0 && (resolved?.recipients.length ?? 0) === 0)) {
    if (!cert) throw new UsageError('failed to seal as SealedSecret: no certificate', { hint: 'pass --cert FILE_OR_URL, or give the cluster a certificate in .sealops.yaml' });
    const read = await readRsaCertificate(cert, { cwd: ctx.cwd });
    for (const w of read.warnings) ctx.warn?.(w);
    return { kind: 'sealedsecret', publicKey: read.publicKey, ...(request.scope ? { scope: request.scope } : {}) };
  }
  const recipients = [...explicit, ...(resolved?.recipients ?? [])];
  if (recipients.length === 0) {
    throw new ConfigError(`failed to choose recipients for ${input.source}: none given and none configured`, {
      hint: 'pass -r age1…, or add a cluster and a path rule to .sealops.yaml (see keys.example)',
    });
  }
  const format = request.store ?? detectSopsFormat(input.path, input.text ?? '');
  // Key groups come only from the configuration, and only when no -r overrides it.
  const groups = explicit.length === 0 && resolved ? keyPlanOf(resolved) : {};
  // --scope binds a SOPS Secret as the SealedSecret scope of the same name would (see scope.ts).
  return {
    kind: 'sops',
    options: { recipients, ...groups, format, source: input.source, ...(resolved?.rules ? { rules: resolved.rules } : {}), ...(request.scope ? { scope: request.scope } : {}) },
  };
}

/**
 * Seals every input (none is written here): the results, in input order. A fleet SealedSecret
 * source gives one result per cluster, marked `fleet`, naming its per-cluster file.
 */
export async function sealInputs(inputs: readonly Input[], request: SealRequest, ctx: OperationContext): Promise<FileResult[]> {
  const shared = { ...ctx, configCache: ctx.configCache ?? createConfigCache() };
  const results = await eachInput(inputs, ctx, async (input): Promise<FileResult[]> => {
    // A source that several certificate clusters get becomes one SealedSecret per cluster.
    const fleet = await sealFleet(input, request, shared);
    return fleet ?? [{ input, output: await sealText(input.text, input.source, await planSeal(input, request, shared)) }];
  });
  return results.flat();
}

/**
 * `seal --merge-into`: seals every Secret of every input into the one SealedSecret at `into`
 * and replaces that file once; the inputs are never written. Returns how many Secrets merged.
 */
export async function mergeInputs(inputs: readonly Input[], into: string, request: SealRequest, ctx: OperationContext): Promise<number> {
  const path = resolve(ctx.cwd, into);
  const target = await planSeal({ path, source: into }, { ...request, format: 'sealedsecret' }, { ...ctx, configCache: ctx.configCache ?? createConfigCache() });
  if (target.kind !== 'sealedsecret') throw new UsageError('failed to parse arguments: --merge-into is for --format sealedsecret');
  return mergeIntoSealedSecretFile(inputs, { path, source: into }, { publicKey: target.publicKey, ...(target.scope ? { scope: target.scope } : {}) });
}

function sealed(input: Input, store?: SopsFormat): SealedText {
  return { text: input.text, source: input.source, format: detectFormat(input, store) };
}

/** Runs `fn` over the inputs through the pool, reporting progress as each finishes. */
function eachInput<R>(inputs: readonly Input[], ctx: OperationContext, fn: (input: Input) => Promise<R>): Promise<R[]> {
  let done = 0;
  return mapLimit(inputs, CONCURRENCY, async (input) => {
    const result = await fn(input);
    ctx.progress?.(++done, inputs.length);
    return result;
  });
}

/** Unseals every input (none is written here): every value and MAC verified first. */
export async function unsealInputs(inputs: readonly Input[], keys: KeyRing, ctx: OperationContext & { readonly store?: SopsFormat }): Promise<FileResult[]> {
  return eachInput(inputs, ctx, async (input) => {
    const file = sealed(input, ctx.store);
    return { input, output: await formatFor(file.format).unseal(file, keys) };
  });
}

/** The verdict on one file: no problems means verified. */
export interface Verdict {
  readonly source: string;
  readonly problems: readonly string[];
  /** No key was given for this file's format: only its structure and recipients were checked. */
  readonly keyless?: boolean;
}

/** Options of {@link verifyInputs}. */
export interface VerifyRequest {
  readonly keys?: KeyRing;
  /** Fail closed: every file must be opened with `keys` (keys were asked for with `-k`), never checked by structure alone. */
  readonly requireKeys?: boolean;
  readonly recipients?: readonly string[];
}

/**
 * Verifies every input: sealed, intact (with keys: every value authenticates) and, for SOPS,
 * sealed for `recipients` or the configured ones. A file that cannot be read as sealed is a
 * problem of that file, not an error of the run.
 */
export async function verifyInputs(inputs: readonly Input[], options: VerifyRequest, ctx: OperationContext): Promise<Verdict[]> {
  const configCache = ctx.configCache ?? createConfigCache();
  return eachInput(inputs, ctx, async (input) => {
    let problems: string[];
    let keyless = false;
    try {
      const file = sealed(input);
      const keys = options.keys;
      keyless = !keys || (file.format.kind === 'sops' ? keys.ageIdentities.length === 0 : keys.rsaKeys.length === 0);
      // A file the given keys cannot even try to open must not pass on its structure alone.
      if (options.requireKeys && keys) {
        if (file.format.kind === 'sops') requireAgeIdentities(keys);
        else requireRsaKeys(keys);
      }
      const recipients =
        file.format.kind === 'sops' ? (options.recipients ?? (await resolveRecipients({ target: input.path, cwd: ctx.cwd, cache: configCache })).recipients) : undefined;
      problems = await formatFor(file.format).verify(file, { ...(keys ? { keys } : {}), ...(recipients ? { recipients } : {}), ...(ctx.warn ? { warn: ctx.warn } : {}) });
    } catch (err) {
      if (!(err instanceof SealopsError)) throw err;
      problems = [err.message.split('\n')[0] ?? err.message];
    }
    return { source: input.source, problems, ...(keyless ? { keyless } : {}) };
  });
}

/** Options of {@link rekeyInputs} and {@link rotateInputs}. */
export interface RewrapRequest {
  readonly keys: KeyRing;
  /** Recipients given on the command line (`-r`). */
  readonly recipients?: readonly string[];
  /** Clusters of `.sealops.yaml` (`--cluster`). */
  readonly clusters?: readonly string[];
}

/** A rekeyed file and how many recipients it had before and has now. */
export interface RekeyResult extends FileResult {
  readonly before: number;
  readonly after: number;
}

/** Re-wraps each input's data key for the given or configured recipients; values untouched. */
export async function rekeyInputs(inputs: readonly Input[], request: RewrapRequest, ctx: OperationContext): Promise<RekeyResult[]> {
  const configCache = ctx.configCache ?? createConfigCache();
  const clusters = request.clusters ? [...request.clusters] : undefined;
  return eachInput(inputs, ctx, async (input) => {
    const file = sealed(input);
    const to: KeyPlan =
      request.recipients && request.recipients.length > 0
        ? { recipients: [...request.recipients] }
        : keyPlanOf(await resolveRecipients({ target: input.path, cwd: ctx.cwd, clusters, cache: configCache }));
    if ((to.recipients ?? []).length === 0) {
      throw new ConfigError(`failed to choose recipients for ${input.source}: none given and none configured`, { hint: 'pass -r age1… or configure .sealops.yaml' });
    }
    const before = sealedRecipients(file).length;
    const output = await formatFor(file.format).rekey(file, request.keys, to);
    return { input, output, before, after: new Set(to.recipients).size };
  });
}

/** A new data key for each input, every value re-encrypted; recipients stay unless given. */
export async function rotateInputs(inputs: readonly Input[], request: RewrapRequest, ctx: OperationContext): Promise<FileResult[]> {
  const configCache = ctx.configCache ?? createConfigCache();
  const clusters = request.clusters ? [...request.clusters] : undefined;
  return eachInput(inputs, ctx, async (input) => {
    const file = sealed(input);
    let to: KeyPlan | undefined = request.recipients ? { recipients: [...request.recipients] } : undefined;
    if (!to && clusters) to = keyPlanOf(await resolveRecipients({ target: input.path, cwd: ctx.cwd, clusters, cache: configCache }));
    return { input, output: await formatFor(file.format).rotate(file, request.keys, to) };
  });
}
