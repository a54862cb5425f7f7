/**
 * `POST /v1/rotate`: a SealedSecret in (JSON or YAML), the same SealedSecret out, every value
 * re-encrypted to the newest cluster key in exactly the scope it was sealed in — what
 * `kubeseal --re-encrypt` asks of the sealed-secrets controller, without the private key ever
 * leaving the cluster.
 *
 * Authenticated: the caller's bearer token (TokenReview) must be allowed `create` on
 * `syncs/reencrypt` (group sealops.dev) in the SealedSecret's namespace (SubjectAccessReview;
 * a cluster-wide SealedSecret without a namespace needs the grant cluster-wide). Without that,
 * nothing is read or answered but the status. Answers carry ciphertext only; errors name the
 * SealedSecret and key, never a value; logs name the caller and the object.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../agent/log.js';
import { describe, SealopsError } from '../errors.js';
import { readSealedSecretDocuments } from '../formats/sealedsecret/codec.js';
import { reencryptSealedSecret } from '../formats/sealedsecret/reencrypt.js';
import { loadReencryptKeys, type KeySetEntries } from '../keys/reencrypt-keys.js';
import type { KubeClient } from '../kube/client.js';
import { DEFAULT_MAX_MANIFEST_BYTES } from '../manifest/parse.js';
import { isRecord } from '../util/record.js';
import { authenticate, authorize, type AccessCheck } from './auth.js';

/** The route. */
export const REENCRYPT_PATH = '/v1/rotate';

/** What a caller must be allowed, but for the namespace (the SealedSecret's). */
export const REENCRYPT_ACCESS: Omit<AccessCheck, 'namespace'> = Object.freeze({ verb: 'create', group: 'sealops.dev', resource: 'syncs', subresource: 'reencrypt' });

/** What the route needs from the agent. */
export interface ReencryptOptions {
  /** The agent's client: reviews tokens and access (it needs `create` on both reviews). */
  readonly client: KubeClient;
  /** Every key set the cluster keeps, read when a request comes (old ones decrypt, the newest encrypts). */
  readonly keySets: () => Promise<readonly KeySetEntries[]>;
  readonly log?: Logger;
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
}

function fail(res: ServerResponse, status: number, message: string): void {
  answer(res, status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: status, message });
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function namespaceOf(doc: unknown): string {
  const meta = isRecord(doc) && isRecord(doc.metadata) ? doc.metadata : {};
  return typeof meta.namespace === 'string' ? meta.namespace : '';
}

/** Answers `POST /v1/rotate`. Never throws: every failure is an HTTP status with a safe message. */
export async function handleReencrypt(req: IncomingMessage, res: ServerResponse, options: ReencryptOptions): Promise<void> {
  if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
  const who = await authenticate(options.client, req);
  if (!who.ok) {
    req.resume();
    options.log?.warn('refused a re-encrypt request', { status: who.status, reason: who.message });
    return fail(res, who.status, who.message);
  }
  const body = await readBody(req, DEFAULT_MAX_MANIFEST_BYTES);
  if (!body) return fail(res, 413, `failed to read the request: larger than ${DEFAULT_MAX_MANIFEST_BYTES} bytes`);
  let doc: unknown;
  try {
    const docs = readSealedSecretDocuments(body.toString('utf8'), 'the request');
    if (docs.length !== 1) return fail(res, 400, `failed to read the request: expected one SealedSecret, found ${docs.length} documents`);
    doc = docs[0];
  } catch (err) {
    return fail(res, 400, describe(err));
  }
  const namespace = namespaceOf(doc);
  const allowed = await authorize(options.client, who.caller, { ...REENCRYPT_ACCESS, namespace });
  if (!allowed.ok) {
    options.log?.warn('refused a re-encrypt request', { status: allowed.status, user: who.caller.username, namespace });
    return fail(res, allowed.status, allowed.message);
  }
  try {
    const keys = loadReencryptKeys(await options.keySets());
    for (const s of keys.skipped) options.log?.warn('skipped a keys entry that is not an RSA private key', { entry: s });
    const { sealed, scope } = reencryptSealedSecret(doc, keys);
    options.log?.info('re-encrypted a SealedSecret', { user: who.caller.username, sealedSecret: `${namespace}/${sealed.metadata.name}`, scope, keys: Object.keys(sealed.spec.encryptedData).length, to: keys.encryptFingerprint });
    answer(res, 200, sealed);
  } catch (err) {
    const status = err instanceof SealopsError ? (err.code === 'INPUT' ? 400 : 422) : 500;
    // Only messages sealops wrote go out (they name keys, never values); anything else is a bug.
    const message = err instanceof SealopsError ? err.message : 'failed to re-encrypt the SealedSecret: internal error';
    options.log?.warn('failed to re-encrypt a SealedSecret', { user: who.caller.username, namespace, error: message });
    fail(res, status, message);
  }
}
