/**
 * Well-known credential formats, matched in any text file. The set is small on purpose: each
 * format has a fixed prefix and a length, so a match is nearly always real. Matches that look
 * like documentation (`…EXAMPLE…`, a run of `x` or `0`) are dropped.
 */
import type { RawFinding, RuleId } from '../findings.js';

interface TokenRule {
  readonly rule: RuleId;
  /** Cheap literal that every match contains; the regex runs only when it is present. */
  readonly literal: string;
  readonly pattern: RegExp;
  readonly why: string;
  /** Extra check on a match; false drops it. */
  readonly accept?: (match: string, text: string, end: number) => boolean;
}

const BECH32 = '[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]';

/** Fewer distinct characters than this in the random part means a placeholder. */
function varied(s: string, min = 8): boolean {
  return new Set(s).size >= min;
}

function notExample(s: string): boolean {
  return !/example/i.test(s) && varied(s.replace(/^[a-z]+[_-]/i, ''), 6);
}

/** A JWT must have a JSON header that names an algorithm. */
function jwtHeader(s: string): boolean {
  try {
    const header = JSON.parse(Buffer.from(s.slice(0, s.indexOf('.')), 'base64url').toString('utf8')) as unknown;
    return typeof header === 'object' && header !== null && 'alg' in header;
  } catch {
    return false;
  }
}

/** A PEM header counts only with key material after it (not in a sentence about PEM files). */
function pemBody(_m: string, text: string, end: number): boolean {
  const after = text.slice(end, end + 400).replace(/\\n|\\r/g, '\n');
  return /[A-Za-z0-9+/=]{40,}/.test(after) && !/\.\.\.|<[^>]*>/.test(after.slice(0, 80));
}

const TOKEN_RULES: readonly TokenRule[] = [
  {
    rule: 'age-secret-key',
    literal: 'AGE-SECRET-KEY-',
    pattern: new RegExp(`AGE-SECRET-KEY-(?:PQ-)?1${BECH32}{40,}`, 'g'),
    why: 'an age identity decrypts everything sealed for its recipient',
    accept: (m) => varied(m.slice(16), 12),
  },
  {
    rule: 'private-key',
    literal: 'PRIVATE KEY',
    pattern: /-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----/g,
    why: 'a private key must not be committed; a certificate or public key is fine',
    accept: pemBody,
  },
  {
    rule: 'aws-access-key-id',
    literal: 'A',
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g,
    why: 'an AWS access key id; its secret key is usually next to it',
    accept: notExample,
  },
  {
    rule: 'github-token',
    literal: 'g',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{60,240})\b/g,
    why: 'a GitHub access token',
    accept: notExample,
  },
  {
    rule: 'gitlab-token',
    literal: 'glpat-',
    pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g,
    why: 'a GitLab personal access token',
    accept: notExample,
  },
  {
    rule: 'slack-token',
    literal: 'xox',
    pattern: /\bxox[abprs]-[0-9]{9,13}-[0-9A-Za-z-]{10,}/g,
    why: 'a Slack API token',
    accept: notExample,
  },
  {
    rule: 'slack-webhook',
    literal: 'hooks.slack.com',
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{30,}/g,
    why: 'a Slack webhook URL lets anyone post to the channel',
    accept: (m) => notExample(m) && varied(m.slice(m.lastIndexOf('/') + 1), 8),
  },
  {
    rule: 'discord-webhook',
    literal: 'discord',
    pattern: /https:\/\/(?:(?:canary|ptb)\.)?discord(?:app)?\.com\/api\/webhooks\/[0-9]{17,20}\/[A-Za-z0-9_-]{60,70}/g,
    why: 'a Discord webhook URL lets anyone post to the channel',
    accept: (m) => varied(m.slice(m.lastIndexOf('/') + 1), 8),
  },
  {
    rule: 'google-api-key',
    literal: 'AIza',
    pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g,
    why: 'a Google API key',
    accept: notExample,
  },
  {
    rule: 'stripe-live-key',
    literal: '_live_',
    pattern: /\b[sr]k_live_[0-9A-Za-z]{24,247}\b/g,
    why: 'a Stripe live secret key',
    accept: notExample,
  },
  {
    rule: 'jwt',
    literal: 'eyJ',
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g,
    why: 'a signed JSON Web Token (a bearer credential)',
    accept: jwtHeader,
  },
];

/**
 * Every well-known credential in `text`. Matches inside `skip` spans (values a manifest rule
 * already reported) are dropped so one secret is reported once.
 */
export function scanTokens(text: string, skip: readonly (readonly [number, number])[] = []): RawFinding[] {
  const out: RawFinding[] = [];
  for (const r of TOKEN_RULES) {
    if (!text.includes(r.literal)) continue;
    r.pattern.lastIndex = 0;
    for (let m = r.pattern.exec(text); m !== null; m = r.pattern.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      if (r.accept && !r.accept(m[0], text, end)) continue;
      if (skip.some(([a, b]) => start >= a && start < b)) continue;
      out.push({ rule: r.rule, offset: start, message: r.why, subject: m[0], span: [start, end] });
    }
  }
  return out;
}
