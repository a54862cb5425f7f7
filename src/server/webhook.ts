/**
 * The push webhook: `POST /hook` with an HMAC-SHA256 signature of the raw body in
 * `X-Hub-Signature-256: sha256=<hex>` (the GitHub and Gitea convention). A valid call makes
 * the Syncs whose source URL matches the pushed repository due at once; the payload itself is
 * never trusted for anything else (the agent still fetches and verifies from git).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest webhook body read. */
const MAX_BODY = 1024 * 1024;

/** Options of the webhook. */
export interface WebhookOptions {
  /** The shared secret. */
  readonly secret: Buffer;
  /** Makes matching Syncs due; returns how many matched. */
  readonly onPush: (repositoryUrls: string[]) => number;
}

/** Whether `header` is the HMAC-SHA256 of `body` under `secret`, compared in constant time. */
export function verifySignature(secret: Buffer, body: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice(7), 'hex');
  const want = createHmac('sha256', secret).update(body).digest();
  return given.length === want.length && timingSafeEqual(given, want);
}

/** A repository URL reduced to host and path, so https, ssh and `.git` spellings compare equal. */
export function normalizeRepoUrl(url: string): string {
  let u = url.trim().toLowerCase().replace(/\/+$/, '').replace(/\.git$/, '');
  const scp = /^[^@/]+@([^:/]+):(.+)$/.exec(u); // git@host:org/repo
  if (scp) return `${scp[1]}/${scp[2]}`.toLowerCase();
  u = u.replace(/^[a-z+]+:\/\//, '').replace(/^[^@/]*@/, '').replace(/:\d+\//, '/');
  return u.toLowerCase();
}

function urlsOf(payload: unknown): string[] {
  const out: string[] = [];
  const p = payload as { repository?: Record<string, unknown>; project?: Record<string, unknown> };
  for (const obj of [p?.repository, p?.project]) {
    if (!obj) continue;
    for (const k of ['clone_url', 'ssh_url', 'git_url', 'html_url', 'url', 'git_http_url', 'git_ssh_url', 'http_url']) {
      const v = obj[k];
      if (typeof v === 'string' && v) out.push(v);
    }
  }
  return out;
}

/** Handles one request to /hook. */
export async function handleWebhook(req: IncomingMessage, res: ServerResponse, options: WebhookOptions): Promise<void> {
  if (req.method !== 'POST') return void res.writeHead(405).end();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return void res.writeHead(413).end('too large\n');
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (!verifySignature(options.secret, body, req.headers['x-hub-signature-256'] as string | undefined)) {
    return void res.writeHead(401, { 'content-type': 'text/plain' }).end('bad signature\n');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    return void res.writeHead(400, { 'content-type': 'text/plain' }).end('not JSON\n');
  }
  const matched = options.onPush(urlsOf(payload));
  res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ matched }) + '\n');
}
