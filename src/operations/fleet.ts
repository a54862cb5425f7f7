/**
 * Fleet SealedSecrets: one plaintext source that a path rule (or `--cluster`, repeated) sends
 * to several clusters that seal with a certificate. A SealedSecret is sealed to one cluster's
 * RSA key, so the source becomes one SealedSecret per cluster, each in its own file named by
 * the rule's `output` pattern (default {@link DEFAULT_FLEET_OUTPUT}), each opening only with
 * its own cluster's key. The source itself is never rewritten. (SOPS needs none of this: a
 * fleet SOPS file has one data key and one age stanza per cluster.)
 */
import { dirname, extname, posix, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { sealText, type FileResult, type Input } from '../formats/index.js';
import { resolveRecipients, type ClusterConfig, type ResolvedRecipients } from '../keys/config.js';
import { readRsaCertificate } from '../keys/rsa-cert.js';
import type { OperationContext, SealRequest } from './index.js';

/** Where a fleet SealedSecret goes without an `output` in its rule: a folder per cluster beside the source. */
export const DEFAULT_FLEET_OUTPUT = '{dir}/{cluster}/{file}';

/** One SealedSecret of a fleet seal: the cluster it is sealed for is in `fleet`. */
export type FleetResult = FileResult & { readonly fleet: { readonly cluster: string } };

/**
 * The output path of `source` (relative to the config's folder, `/`-separated) for `cluster`:
 * `{cluster}`, `{path}` (the whole relative path), `{dir}` (its folder, `.` at the top),
 * `{file}` (base name), `{name}` (base name without extension), `{ext}` (extension with its dot).
 */
export function fleetOutputPath(pattern: string, cluster: string, source: string): string {
  const file = posix.basename(source);
  const ext = extname(file);
  const values: Record<string, string> = { cluster, path: source, dir: posix.dirname(source), file, name: file.slice(0, file.length - ext.length), ext };
  return posix.normalize(pattern.replace(/\{(\w+)\}/g, (_, k: string) => values[k] ?? ''));
}

/** The clusters with a certificate, when the request and configuration make `input` a fleet SealedSecret. */
function fleetClusters(request: SealRequest, resolved: ResolvedRecipients): ClusterConfig[] | undefined {
  const withCert = resolved.clusters.filter((c) => c.certificate);
  if (withCert.length < 2) return undefined;
  // As for one cluster: a SealedSecret when asked for, or when the clusters have no age recipients.
  const sealedSecret = request.format === 'sealedsecret' || resolved.recipients.length === 0;
  return sealedSecret ? withCert : undefined;
}

/**
 * One SealedSecret per cluster for `input` when it is a fleet SealedSecret (undefined when it
 * is not: then it is sealed as usual). Nothing is written here; each result names its file.
 */
export async function sealFleet(input: Input, request: SealRequest, ctx: OperationContext): Promise<FleetResult[] | undefined> {
  if (request.cert !== undefined || (request.recipients?.length ?? 0) > 0) return undefined;
  const resolved = await resolveRecipients({ target: input.path, cwd: ctx.cwd, ...(request.clusters ? { clusters: [...request.clusters] } : {}), ...(ctx.configCache ? { cache: ctx.configCache } : {}) });
  const clusters = fleetClusters(request, resolved);
  if (!clusters || !resolved.configFile) return undefined;
  if (!input.path) {
    throw new UsageError(`failed to seal ${input.source}: it goes to ${clusters.length} clusters as SealedSecrets, one file each, which needs a FILE, not stdin`, {
      hint: 'pass the source FILE; the SealedSecrets are written by the output pattern of its rule',
    });
  }
  const base = dirname(resolved.configFile);
  const source = relative(base, input.path).split(sep).join('/');
  const pattern = resolved.rule?.output ?? DEFAULT_FLEET_OUTPUT;
  const out: FleetResult[] = [];
  for (const cluster of clusters) {
    const cert = cluster.certificate ?? '';
    const read = await readRsaCertificate(/^https?:\/\//.test(cert) ? cert : resolve(base, cert), { cwd: ctx.cwd });
    for (const w of read.warnings) ctx.warn?.(`${cluster.name}: ${w}`);
    const path = resolve(base, fleetOutputPath(pattern, cluster.name, source));
    if (path === input.path) throw new UsageError(`failed to seal ${input.source}: the output pattern "${pattern}" names the source itself for cluster ${cluster.name}`);
    const output = await sealText(input.text, input.source, { kind: 'sealedsecret', publicKey: read.publicKey, ...(request.scope ? { scope: request.scope } : {}) });
    out.push({ input: { text: '', bytes: Buffer.alloc(0), source: relative(ctx.cwd, path) || path, path }, output, fleet: { cluster: cluster.name } });
  }
  return out;
}
