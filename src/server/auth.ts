/**
 * Who may call an authenticated route of the agent: the caller's bearer token is checked by
 * the API server (TokenReview), then what that user may do (SubjectAccessReview), so the same
 * RBAC that governs the cluster governs the agent. The token is never logged, stored or put
 * into an error; a caller without a valid token learns nothing but "unauthorized".
 */
import type { IncomingMessage } from 'node:http';
import type { KubeClient } from '../kube/client.js';

/** The resource attributes a caller must be allowed (a SubjectAccessReview's `resourceAttributes`). */
export interface AccessCheck {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  /** Empty or absent: a cluster-wide check. */
  readonly namespace?: string;
}

/** The user a token belongs to, as TokenReview answers. */
export interface Caller {
  readonly username: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** The outcome of a check: the caller, or an HTTP status with a message safe to send. */
export type AuthResult = { readonly ok: true; readonly caller: Caller } | { readonly ok: false; readonly status: 401 | 403 | 503; readonly message: string };

/**
 * The bearer token of a request: `Authorization: Bearer …`, or `X-Sealops-Authorization`
 * (the API server's proxy drops `Authorization` once it has authenticated the caller).
 */
export function bearerToken(req: IncomingMessage): string | undefined {
  for (const name of ['authorization', 'x-sealops-authorization']) {
    const raw = req.headers[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '');
    if (m) return m[1];
  }
  return undefined;
}

interface TokenReviewStatus {
  status?: { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } };
}

/** Asks the API server who `token` belongs to (undefined: nobody). */
async function reviewToken(client: KubeClient, token: string): Promise<Caller | undefined> {
  const review = await client.request<TokenReviewStatus>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
  });
  const user = review.status?.user;
  if (review.status?.authenticated !== true || !user?.username) return undefined;
  return { username: user.username, uid: user.uid, groups: user.groups, extra: user.extra };
}

/** Asks the API server whether `caller` may do `check`. */
async function mayCaller(client: KubeClient, caller: Caller, check: AccessCheck): Promise<boolean> {
  const review = await client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: caller.username,
        ...(caller.uid ? { uid: caller.uid } : {}),
        ...(caller.groups ? { groups: caller.groups } : {}),
        ...(caller.extra ? { extra: caller.extra } : {}),
        resourceAttributes: { ...check, namespace: check.namespace || undefined },
      },
    },
  });
  return review.status?.allowed === true;
}

/** Authenticates the request's bearer token (401 without a valid one). */
export async function authenticate(client: KubeClient, req: IncomingMessage): Promise<AuthResult> {
  const token = bearerToken(req);
  if (!token) return { ok: false, status: 401, message: 'a bearer token is required' };
  let caller: Caller | undefined;
  try {
    caller = await reviewToken(client, token);
  } catch {
    // The API server's answer may quote the review, token included: nothing of it is passed on.
    return { ok: false, status: 503, message: 'failed to review the token with the API server' };
  }
  return caller ? { ok: true, caller } : { ok: false, status: 401, message: 'the token is not valid' };
}

/** Authorizes an authenticated caller for `check` (403 when RBAC says no). */
export async function authorize(client: KubeClient, caller: Caller, check: AccessCheck): Promise<AuthResult> {
  let allowed: boolean;
  try {
    allowed = await mayCaller(client, caller, check);
  } catch {
    return { ok: false, status: 503, message: 'failed to review access with the API server' };
  }
  if (allowed) return { ok: true, caller };
  const what = `${check.verb} ${check.resource}${check.subresource ? `/${check.subresource}` : ''}.${check.group}`;
  return { ok: false, status: 403, message: `${caller.username} may not ${what} in ${check.namespace ? `namespace ${check.namespace}` : 'the cluster'}` };
}
