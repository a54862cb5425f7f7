import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ageRecipientKind, checkAgeRecipients, generateAgeKeyPair, InputError, KeyError, unwrapDataKey, wrapDataKey } from '../../src/index.js';

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
});
