import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ageRecipientOf, generateAgeKeyPair, InputError, KeyError } from '../../src/index.js';
import { ageRecipientKind, checkAgeRecipients, unwrapDataKey, wrapDataKey } from '../../src/crypto/age.js';

/** Re-armors `armored` after `edit` changed its binary form (armor is plain padded base64). */
function tamper(armored: string, edit: (bin: Buffer) => Buffer): string {
  const lines = armored.trim().split('\n');
  const bin = edit(Buffer.from(lines.slice(1, -1).join(''), 'base64'));
  const b64 = bin.toString('base64');
  const body = b64.match(/.{1,64}/g) ?? [];
  return [lines[0], ...body, lines.at(-1), ''].join('\n');
}

describe('age wrapping of data keys', () => {
  it('generates X25519 identities unless post-quantum is asked for', async () => {
    const classic = await generateAgeKeyPair();
    expect(classic.identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    expect(ageRecipientKind(classic.recipient)).toBe('x25519');
    const pq = await generateAgeKeyPair({ postQuantum: true });
    expect(ageRecipientKind(pq.recipient)).toBe('pq');
  });

  it('wraps for a recipient and unwraps only with its identity; "not mine" is null, not an error', async () => {
    const a = await generateAgeKeyPair();
    const b = await generateAgeKeyPair();
    const key = randomBytes(32);
    const armored = await wrapDataKey(key, a.recipient);
    expect(Buffer.from((await unwrapDataKey(armored, [b.identity, a.identity]))!).equals(key)).toBe(true);
    expect(await unwrapDataKey(armored, [b.identity])).toBeNull();
    expect(await unwrapDataKey(armored, [])).toBeNull();
  });

  it('throws on a malformed stanza and on an invalid identity', async () => {
    const a = await generateAgeKeyPair();
    const armored = await wrapDataKey(randomBytes(32), a.recipient);
    await expect(unwrapDataKey(armored.replace('-----END', '-----XEND'), [a.identity])).rejects.toBeInstanceOf(InputError);
    await expect(unwrapDataKey(armored, ['AGE-SECRET-KEY-1NOTAKEY'])).rejects.toBeInstanceOf(KeyError);
  });

  it('refuses no recipients, unknown recipients and a post-quantum/classic mix, and drops duplicates', async () => {
    const a = await generateAgeKeyPair();
    const pq = await generateAgeKeyPair({ postQuantum: true });
    expect(() => checkAgeRecipients([])).toThrow(/none given/);
    expect(() => checkAgeRecipients(['ssh-ed25519 AAAA'])).toThrow(InputError);
    expect(() => checkAgeRecipients([a.recipient, pq.recipient])).toThrow(/cannot be mixed/);
    expect(checkAgeRecipients([a.recipient, ` ${a.recipient}`])).toEqual([a.recipient]);
  });

  it('refuses a private key given as a recipient without ever quoting it', async () => {
    const a = await generateAgeKeyPair();
    const pq = await generateAgeKeyPair({ postQuantum: true });
    for (const id of [a.identity, a.identity.toLowerCase(), pq.identity, ` ${a.identity}`]) {
      for (const f of [() => ageRecipientKind(id), () => checkAgeRecipients([a.recipient, id])]) {
        let err: unknown;
        try {
          f();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(InputError);
        expect((err as Error).message).toBe('failed to use recipient: it is an age identity (a private key), not a recipient');
        expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(id.trim().slice(20));
      }
    }
  });

  it('throws InputError on a tampered header MAC and a cut payload, without key bytes in the message', async () => {
    const a = await generateAgeKeyPair();
    const key = randomBytes(32);
    const armored = await wrapDataKey(key, a.recipient);
    const badMac = tamper(armored, (bin) => {
      const at = bin.indexOf('\n--- ') + 5;
      bin[at] = bin[at] === 0x41 ? 0x42 : 0x41;
      return bin;
    });
    const cut = tamper(armored, (bin) => bin.subarray(0, bin.length - 1));
    for (const bad of [badMac, cut]) {
      const err = await unwrapDataKey(bad, [a.identity]).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      const text = `${String(err)} ${String((err as Error).cause)}`;
      for (const secret of [key.toString('hex'), key.toString('base64'), a.identity, a.identity.toLowerCase()]) expect(text).not.toContain(secret);
    }
    await expect(unwrapDataKey(badMac, [a.identity])).rejects.toThrow(/header MAC/);
  });

  it('returns null for a tampered stanza body, as for a wrong identity', async () => {
    const a = await generateAgeKeyPair();
    const armored = await wrapDataKey(randomBytes(32), a.recipient);
    const badBody = tamper(armored, (bin) => {
      const lines = bin.toString('latin1').split('\n');
      lines[2] = (lines[2]!.startsWith('A') ? 'B' : 'A') + lines[2]!.slice(1);
      return Buffer.from(lines.join('\n'), 'latin1');
    });
    expect(await unwrapDataKey(badBody, [a.identity])).toBeNull();
    expect(await unwrapDataKey(armored, [(await generateAgeKeyPair()).identity])).toBeNull();
  });

  it('wraps and unwraps post-quantum keys, and a post-quantum identity is "not mine" for a classic stanza', async () => {
    const pq = await generateAgeKeyPair({ postQuantum: true });
    const classic = await generateAgeKeyPair();
    const key = randomBytes(32);
    const armored = await wrapDataKey(key, pq.recipient);
    expect(Buffer.from((await unwrapDataKey(armored, [classic.identity, pq.identity]))!).equals(key)).toBe(true);
    expect(await unwrapDataKey(armored, [classic.identity])).toBeNull();
    expect(await unwrapDataKey(await wrapDataKey(key, classic.recipient), [pq.identity])).toBeNull();
    expect(await ageRecipientOf(pq.identity)).toBe(pq.recipient);
    await expect(unwrapDataKey(armored, ['AGE-SECRET-KEY-PQ-1NOTAKEY'])).rejects.toBeInstanceOf(KeyError);
  });

  it('refuses a recipient whose checksum is wrong and an identity that is not a key', async () => {
    const a = await generateAgeKeyPair();
    const broken = a.recipient.slice(0, -1) + (a.recipient.endsWith('q') ? 'p' : 'q');
    await expect(wrapDataKey(randomBytes(32), broken)).rejects.toBeInstanceOf(InputError);
    await expect(ageRecipientOf('AGE-SECRET-KEY-1NOTAKEY')).rejects.toBeInstanceOf(KeyError);
    expect(await ageRecipientOf(a.identity)).toBe(a.recipient);
  });

  it('names no part of a mistyped identity in the error, for classic and post-quantum keys', async () => {
    const armored = await wrapDataKey(randomBytes(32), (await generateAgeKeyPair()).recipient);
    for (const pair of [await generateAgeKeyPair(), await generateAgeKeyPair({ postQuantum: true })]) {
      const at = pair.identity.length - 10;
      const typo = pair.identity.slice(0, at) + (pair.identity[at] === 'Q' ? 'P' : 'Q') + pair.identity.slice(at + 1);
      for (const attempt of [unwrapDataKey(armored, [typo]), ageRecipientOf(typo)]) {
        const err = await attempt.then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(KeyError);
        const text = `${(err as Error).message} ${String((err as Error).cause)} ${JSON.stringify(err)}`;
        expect(text).not.toContain(pair.identity.slice(20, 40));
        expect(text).not.toContain(typo.slice(20, 40));
      }
    }
  });
});
