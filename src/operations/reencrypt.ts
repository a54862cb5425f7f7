/**
 * `sealops keys reencrypt FILE…`: every SealedSecret of the files sent to the agent's
 * authenticated `POST /v1/rotate`, which answers it re-encrypted to the newest cluster key in
 * the same scope. The private keys never leave the cluster; the caller needs a bearer token
 * allowed `create syncs/reencrypt` in each SealedSecret's namespace. Every file is re-encrypted
 * before any is written, so a failure leaves all of them as they were.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { IoError, InputError, KeyError, KubeError, UsageError } from '../errors.js';
import type { FileResult, Input } from '../formats/files.js';
import { formatKubesealYaml, readSealedSecretDocuments } from '../formats/sealedsecret/codec.js';
import { isSealedSecret } from '../formats/sealedsecret/unseal.js';
import { loadKubeConnection, type KubeConfigOptions } from '../kube/config.js';
import { isRecord } from '../util/record.js';

/** Where and as whom to call the agent. */
export interface ReencryptRequest {
  /** Base URL of the agent (`http://127.0.0.1:8080` through `kubectl port-forward`, or https). */
  readonly url: string;
  readonly token: string;
  /** Extra trusted CA certificates (PEM) for an https agent. */
  readonly ca?: string;
  readonly timeoutMs?: number;
}

const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/**
 * The bearer token a kubeconfig context authenticates with (a token, a token file, an exec
 * plugin that returns one). Throws {@link KubeError} when the context uses client certificates.
 */
export async function bearerTokenOf(opts: KubeConfigOptions): Promise<string> {
  const conn = loadKubeConnection(opts);
  const req: { headers?: Record<string, string> } = {};
  await conn.apply(req);
  const m = /^Bearer\s+(\S+)$/.exec(req.headers?.authorization ?? '');
  if (!m?.[1]) {
    throw new KubeError('failed to find a bearer token: the kubeconfig context authenticates without one (client certificate?)', {
      hint: 'pass --token-file with a ServiceAccount token (kubectl create token NAME)',
    });
  }
  return m[1];
}

function endpoint(base: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UsageError('failed to parse --url: it is not a URL');
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  // The request carries the caller's token: never in the clear off this machine.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new UsageError(`failed to use ${url.protocol}//${url.host}: only https, or plain http on loopback (kubectl port-forward), may carry a token`);
  }
  return new URL(`${url.pathname.replace(/\/+$/, '')}/v1/rotate`, `${url.protocol}//${url.host}`);
}

function post(url: URL, body: string, req: ReencryptRequest, source: string): Promise<unknown> {
  const where = `${url.protocol}//${url.host}`;
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const r = send(url, {
      method: 'POST',
      timeout: req.timeoutMs ?? 60_000,
      ...(req.ca ? { ca: req.ca } : {}),
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${req.token}` },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) r.destroy(new Error('answer too large'));
        else chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const status = res.statusCode ?? 0;
        if (status === 200 && isSealedSecret(parsed)) return resolve(parsed);
        const message = isRecord(parsed) && typeof parsed.message === 'string' ? parsed.message : `HTTP ${status}`;
        const err = status === 401 || status === 403 ? new KeyError(`failed to re-encrypt ${source}: the agent refused the caller (HTTP ${status}): ${message}`, { hint: 'the token needs `create` on syncs/reencrypt (sealops.dev) in the namespace: see the sealops-reencrypt ClusterRole' })
          : status === 400 ? new InputError(`failed to re-encrypt ${source}: ${message}`)
          : new KubeError(`failed to re-encrypt ${source}: ${message}`);
        reject(err);
      });
      res.on('error', (e) => reject(new IoError(`failed to re-encrypt ${source}: ${where}: ${e.message}`)));
    });
    r.on('timeout', () => r.destroy(new Error('timed out')));
    r.on('error', (e) => reject(new IoError(`failed to reach the agent at ${where}: ${e.message}`)));
    r.end(body);
  });
}

/** Re-encrypts one file's text: every document must be a SealedSecret; the file keeps its syntax. */
async function reencryptText(input: Input, url: URL, req: ReencryptRequest): Promise<string> {
  const docs = readSealedSecretDocuments(input.text, input.source);
  if (docs.length === 0) throw new InputError(`failed to re-encrypt ${input.source}: no SealedSecret found`);
  docs.forEach((d, i) => {
    if (!isSealedSecret(d)) throw new InputError(`failed to re-encrypt ${input.source}: document ${i + 1} is not a SealedSecret`);
  });
  const out: unknown[] = [];
  for (const d of docs) out.push(await post(url, JSON.stringify(d), req, input.source));
  if (input.text.trimStart().startsWith('{') && out.length === 1) return `${JSON.stringify(out[0], null, 2)}\n`;
  return out.map((o) => formatKubesealYaml(o)).join('');
}

/** Re-encrypts every input through the agent; returns what replaces each (nothing is written here). */
export async function reencryptInputs(inputs: readonly Input[], req: ReencryptRequest): Promise<FileResult[]> {
  const url = endpoint(req.url);
  const results: FileResult[] = [];
  for (const input of inputs) results.push({ input, output: await reencryptText(input, url, req) });
  return results;
}
