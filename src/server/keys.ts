/**
 * Public-key routes of the agent's HTTP endpoint: `GET /v1/cert.pem` (the sealing certificates,
 * what `kubeseal --fetch-cert` users expect; `sealops seal --cert <url>` reads it) and
 * `GET /v1/recipients` (age recipients, one per line) of the newest key set, and `GET /v1/keysets`
 * (every set with its state, as `keysets.json`). Only public halves ever reach here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PublicKeys } from '../agent/keys.js';
import type { KeySetInfo } from '../agent/keysets.js';

/** Where the routes read the current public halves (undefined until the key set is known). */
export type PublicKeysSource = () => (PublicKeys & { readonly keySets?: readonly KeySetInfo[] }) | undefined;

/** Answers a public-key route; returns false when `path` is not one. */
export function handlePublicKeys(path: string, _req: IncomingMessage, res: ServerResponse, source: PublicKeysSource): boolean {
  if (path === '/v1/keysets') {
    const sets = source()?.keySets;
    if (!sets) res.writeHead(404, { 'content-type': 'text/plain' }).end('no key set published\n');
    else res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' }).end(`${JSON.stringify(sets, null, 2)}\n`);
    return true;
  }
  if (path !== '/v1/cert.pem' && path !== '/v1/recipients') return false;
  const keys = source();
  const body = path === '/v1/cert.pem' ? (keys?.certificates ?? []).join('') : (keys?.recipients ?? []).map((r) => `${r}\n`).join('');
  if (!body) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(path === '/v1/cert.pem' ? 'no certificate published\n' : 'no recipient published\n');
    return true;
  }
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' }).end(body);
  return true;
}
