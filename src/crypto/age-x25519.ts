/**
 * The age v1 file format (https://age-encryption.org/v1) with X25519 recipients, on node:crypto
 * alone. age-encryption (typage) does the same in WebCrypto and pure JS, which costs about as
 * much per wrapped key as all the rest of sealing a file, and ~70 ms to import; this module is
 * the fast path, and typage stays for post-quantum keys (see `age.ts`).
 *
 * Functions here throw plain `Error`s with short reasons; `age.ts` turns them into the
 * project's error classes. Nothing here ever puts key or plaintext bytes in a message.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { bech32 } from '@scure/base';

const VERSION_LINE = 'age-encryption.org/v1';
const X25519_LABEL = 'age-encryption.org/v1/X25519';
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const ARMOR_END = '-----END AGE ENCRYPTED FILE-----';
const CHUNK = 64 * 1024;
const TAG = 16;
const ZERO_NONCE = Buffer.alloc(12);

/** One stanza of an age header: its arguments (type first) and its decoded body. */
export interface AgeStanza {
  readonly args: readonly string[];
  readonly body: Buffer;
}

/** A parsed age file: stanzas, the bytes the header MAC covers, the MAC and the payload. */
export interface AgeFile {
  readonly stanzas: readonly AgeStanza[];
  readonly headerNoMac: Buffer;
  readonly mac: Buffer;
  readonly payload: Buffer;
}

/** An X25519 identity ready for unwrapping: private key object and raw public key. */
interface X25519Key {
  readonly privateKey: KeyObject;
  readonly publicRaw: Buffer;
}

// Batch sealing wraps for the same few recipients and opens with the same few identities
// thousands of times; importing a key costs as much as the X25519 operation itself.
const CACHE_MAX = 64;
const recipientCache = new Map<string, { key: KeyObject; raw: Buffer }>();
const identityCache = new Map<string, X25519Key>();

function remember<V>(cache: Map<string, V>, k: string, v: V): V {
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(k, v);
  return v;
}

/** Strict unpadded base64 (age headers): canonical encodings only. */
function b64nopadDecode(s: string): Buffer {
  if (!/^[A-Za-z0-9+/]*$/.test(s) || s.length % 4 === 1) throw new Error('invalid base64');
  const out = Buffer.from(s, 'base64');
  if (out.toString('base64').replace(/=+$/, '') !== s) throw new Error('non-canonical base64');
  return out;
}

const b64nopadEncode = (b: Uint8Array): string => Buffer.from(b).toString('base64').replace(/=+$/, '');

const ONE = Buffer.of(1);

/**
 * HKDF-SHA-256 (RFC 5869) of one 32-byte block: extract, then the first expand step. Two HMACs
 * by hand take half the time of `hkdfSync`, whose argument checks cost more than the hashing,
 * and age derives three keys per file. An empty salt is HMAC's zero key, as the RFC asks.
 */
function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  return createHmac('sha256', prk).update(info).update(ONE).digest();
}

function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** ChaCha20-Poly1305 open; null when the tag does not verify. */
function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < TAG) return null;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
  } catch {
    return null;
  }
}

// Raw keys go in and out as JWK: in Node 20 that is 5-10x faster than DER (OpenSSL's decoder
// framework costs ~0.1 ms for SPKI and ~0.35 ms for PKCS#8, more than the X25519 itself).
function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

function privateKeyObject(raw: Uint8Array): KeyObject {
  // Node builds a private OKP key from `d` alone; `x` must be present as a string but is not read.
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(raw).toString('base64url'), x: '' }, format: 'jwk' });
}

function rawPublic(key: KeyObject): Buffer {
  const { x } = key.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('X25519 public key export failed');
  return Buffer.from(x, 'base64url');
}

/** X25519 with the all-zero check age requires (a low-order point would give a known secret). */
function x25519(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    throw new Error('X25519 produced no shared secret (low-order point)');
  }
  if (shared.every((b) => b === 0)) throw new Error('X25519 produced an all-zero shared secret');
  return shared;
}

/**
 * Decodes a bech32 secret key. @scure/base quotes the whole input in some errors ("Invalid
 * checksum in AGE-SECRET-KEY-1…"), so its error is dropped, not attached as a cause.
 */
function decodeSecretBech32(s: string, limit?: false): { prefix: string; bytes: Buffer } {
  try {
    const { prefix, words } = bech32.decode(s as `${string}1${string}`, limit);
    return { prefix, bytes: Buffer.from(bech32.fromWords(words)) };
  } catch {
    throw new Error('bad bech32 encoding (character, case or checksum)');
  }
}

/** Decodes an `age1…` X25519 recipient to its 32-byte public key; throws if it is not one. */
export function decodeX25519Recipient(recipient: string): Buffer {
  const hit = recipientCache.get(recipient);
  if (hit) return hit.raw;
  const { prefix, words } = bech32.decode(recipient as `${string}1${string}`);
  const raw = Buffer.from(bech32.fromWords(words));
  // bech32 refuses mixed case; all upper case is valid, and Go age accepts it too.
  if (prefix !== 'age' || raw.length !== 32) throw new Error('not an X25519 recipient');
  remember(recipientCache, recipient, { key: publicKeyObject(raw), raw });
  return raw;
}

function recipientKey(recipient: string): { key: KeyObject; raw: Buffer } {
  decodeX25519Recipient(recipient);
  return recipientCache.get(recipient)!;
}

/** Imports an `AGE-SECRET-KEY-1…` identity; throws if it is not one. */
function identityKey(identity: string): X25519Key {
  const hit = identityCache.get(identity);
  if (hit) return hit;
  if (!identity.startsWith('AGE-SECRET-KEY-1')) throw new Error('not an X25519 identity');
  const { prefix, bytes: raw } = decodeSecretBech32(identity);
  if (prefix !== 'age-secret-key-' || raw.length !== 32) throw new Error('not an X25519 identity');
  const privateKey = privateKeyObject(raw);
  raw.fill(0);
  return remember(identityCache, identity, { privateKey, publicRaw: rawPublic(createPublicKey(privateKey)) });
}

/** Throws unless `identity` is a well-formed X25519 identity. */
export function checkX25519Identity(identity: string): void {
  identityKey(identity);
}

/** Throws unless `identity` is a well-formed post-quantum hybrid identity (`AGE-SECRET-KEY-PQ-1…`). */
export function checkPqIdentity(identity: string): void {
  if (!identity.startsWith('AGE-SECRET-KEY-PQ-1')) throw new Error('not a post-quantum identity');
  const { prefix, bytes } = decodeSecretBech32(identity, false);
  bytes.fill(0);
  if (prefix !== 'age-secret-key-pq-' || bytes.length !== 32) throw new Error('not a post-quantum identity');
}

/** The `age1…` recipient of an X25519 identity. */
export function x25519RecipientOf(identity: string): string {
  return bech32.encode('age', bech32.toWords(identityKey(identity).publicRaw));
}

/** A new X25519 identity (`AGE-SECRET-KEY-1…`, upper case as age-keygen writes it). */
export function newX25519Identity(): string {
  const raw = randomBytes(32);
  const id = bech32.encode('age-secret-key-', bech32.toWords(raw)).toUpperCase();
  raw.fill(0);
  return id;
}

/** The X25519 stanza wrapping `fileKey` for one recipient. */
function wrapX25519(fileKey: Uint8Array, recipient: string): AgeStanza {
  const r = recipientKey(recipient);
  // The ephemeral scalar is 32 random bytes (as age's Go code makes it), not generateKeyPairSync:
  // a key object handed back by a generation job shares that job's lock, and Node 20 deadlocks
  // when the job is garbage-collected during the JWK export below.
  const ephemeral = privateKeyObject(randomBytes(32));
  const share = rawPublic(createPublicKey(ephemeral));
  const wrapKey = hkdf(x25519(ephemeral, r.key), Buffer.concat([share, r.raw]), X25519_LABEL);
  return { args: ['X25519', b64nopadEncode(share)], body: seal(wrapKey, ZERO_NONCE, fileKey) };
}

function encodeHeaderNoMac(stanzas: readonly AgeStanza[]): Buffer {
  const lines = [`${VERSION_LINE}\n`];
  for (const s of stanzas) {
    lines.push(`-> ${s.args.join(' ')}\n`);
    const b = b64nopadEncode(s.body);
    // Body lines are 64 columns; the last one is always shorter, so a body whose encoding fills
    // whole lines ends with an empty line.
    for (let i = 0; i <= b.length; i += 64) lines.push(`${b.slice(i, i + 64)}\n`);
  }
  lines.push('---');
  return Buffer.from(lines.join(''), 'latin1');
}

function headerMac(fileKey: Uint8Array, headerNoMac: Uint8Array): Buffer {
  return createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header')).update(headerNoMac).digest();
}

function streamNonce(counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(counter, 5, 6);
  n[11] = last ? 1 : 0;
  return n;
}

/** Encrypts `plaintext` as a binary age file for X25519 `recipients`. */
export function encryptX25519(plaintext: Uint8Array, recipients: readonly string[]): Buffer {
  if (recipients.length === 0) throw new Error('no recipients');
  const fileKey = randomBytes(16);
  try {
    const headerNoMac = encodeHeaderNoMac(recipients.map((r) => wrapX25519(fileKey, r)));
    const header = Buffer.concat([headerNoMac, Buffer.from(` ${b64nopadEncode(headerMac(fileKey, headerNoMac))}\n`, 'latin1')]);
    const nonce = randomBytes(16);
    const payloadKey = hkdf(fileKey, nonce, 'payload');
    const parts: Buffer[] = [header, nonce];
    const chunks = Math.max(1, Math.ceil(plaintext.length / CHUNK));
    for (let i = 0; i < chunks; i++) {
      parts.push(seal(payloadKey, streamNonce(i, i === chunks - 1), plaintext.subarray(i * CHUNK, (i + 1) * CHUNK)));
    }
    return Buffer.concat(parts);
  } finally {
    fileKey.fill(0);
  }
}

/** Parses the header of a binary age file strictly (LF line ends, canonical base64). */
export function parseAgeFile(file: Uint8Array): AgeFile {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  let pos = 0;
  const line = (): string => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) throw new Error('truncated header');
    const s = buf.toString('latin1', pos, nl);
    pos = nl + 1;
    return s;
  };
  if (line() !== VERSION_LINE) throw new Error('not an age v1 file');
  const stanzas: AgeStanza[] = [];
  for (;;) {
    const start = pos;
    const l = line();
    if (l.startsWith('---')) {
      if (!l.startsWith('--- ')) throw new Error('malformed header MAC line');
      const mac = b64nopadDecode(l.slice(4));
      if (mac.length !== 32) throw new Error('malformed header MAC line');
      return { stanzas, headerNoMac: buf.subarray(0, start + 3), mac, payload: buf.subarray(pos) };
    }
    const args = l.split(' ');
    if (args.shift() !== '->' || args.length === 0 || args.some((a) => !/^[\x21-\x7e]+$/.test(a))) {
      throw new Error('malformed stanza');
    }
    const body: Buffer[] = [];
    for (;;) {
      const b = line();
      if (b.length > 64) throw new Error('malformed stanza body');
      body.push(b64nopadDecode(b));
      if (b.length < 64) break;
    }
    stanzas.push({ args, body: Buffer.concat(body) });
  }
}

/**
 * The file key from the first X25519 stanza one of `identities` opens; null when none does.
 * Throws on a malformed X25519 stanza, even if another stanza would open.
 */
export function unwrapX25519(stanzas: readonly AgeStanza[], identities: readonly string[]): Buffer | null {
  const mine = stanzas.filter((s) => s.args[0] === 'X25519');
  const shares = mine.map((s) => {
    if (s.args.length !== 2 || s.body.length !== 32) throw new Error('malformed X25519 stanza');
    const share = b64nopadDecode(s.args[1]!);
    if (share.length !== 32) throw new Error('malformed X25519 stanza');
    return share;
  });
  const keys = identities.map(identityKey);
  for (const [i, s] of mine.entries()) {
    const share = shares[i]!;
    const sharePub = publicKeyObject(share);
    for (const k of keys) {
      const wrapKey = hkdf(x25519(k.privateKey, sharePub), Buffer.concat([share, k.publicRaw]), X25519_LABEL);
      const fileKey = open(wrapKey, ZERO_NONCE, s.body);
      if (fileKey) return fileKey;
    }
  }
  return null;
}

/** Checks the header MAC with `fileKey` and decrypts the payload; throws on any mismatch. */
export function decryptPayload(file: AgeFile, fileKey: Uint8Array): Buffer {
  if (!timingSafeEqual(headerMac(fileKey, file.headerNoMac), file.mac)) throw new Error('bad header MAC');
  if (file.payload.length < 16) throw new Error('truncated payload');
  const payloadKey = hkdf(fileKey, file.payload.subarray(0, 16), 'payload');
  const body = file.payload.subarray(16);
  if (body.length < TAG) throw new Error('truncated payload');
  const out: Buffer[] = [];
  const chunks = Math.ceil(body.length / (CHUNK + TAG));
  for (let i = 0; i < chunks; i++) {
    const last = i === chunks - 1;
    const sealed = body.subarray(i * (CHUNK + TAG), (i + 1) * (CHUNK + TAG));
    const plain = open(payloadKey, streamNonce(i, last), sealed);
    // A failed last chunk usually means the file was cut short at a chunk boundary.
    if (!plain) throw new Error(last ? 'truncated or tampered payload' : 'tampered payload');
    if (last && plain.length === 0 && i > 0) throw new Error('empty last chunk');
    out.push(plain);
  }
  return Buffer.concat(out);
}

/** ASCII armor: PEM-like, base64 with padding in 64 columns, final newline. */
export function armorAge(file: Uint8Array): string {
  const b = Buffer.from(file).toString('base64');
  const lines = [ARMOR_BEGIN];
  for (let i = 0; i < b.length; i += 64) lines.push(b.slice(i, i + 64));
  lines.push(ARMOR_END, '');
  return lines.join('\n');
}

/**
 * Removes the armor. Surrounding whitespace and CRLF line ends are accepted (as age does),
 * anything else must be exact: full 64-column lines, canonical padded base64.
 */
export function dearmorAge(text: string): Buffer {
  const lines = text.trim().replaceAll('\r\n', '\n').split('\n');
  if (lines.shift() !== ARMOR_BEGIN) throw new Error('missing armor header');
  if (lines.pop() !== ARMOR_END) throw new Error('missing armor footer');
  if (lines.length === 0) throw new Error('empty armor');
  for (const [i, l] of lines.entries()) {
    const ok = i === lines.length - 1 ? l.length > 0 && l.length <= 64 && l.length % 4 === 0 : l.length === 64;
    if (!ok || !/^[A-Za-z0-9+/]*={0,2}$/.test(l)) throw new Error('malformed armor line');
  }
  const b64 = lines.join('');
  if (b64.slice(0, -2).includes('=')) throw new Error('malformed armor padding');
  const out = Buffer.from(b64, 'base64');
  if (out.toString('base64') !== b64) throw new Error('non-canonical armor base64');
  return out;
}
