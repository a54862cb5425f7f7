import { describe, expect, it } from 'vitest';
import { formatAgeKeyFile, generateAgeKeyPair, KeyError, parseAgeIdentities } from '../../src/index.js';

describe('age identity files', () => {
  it('parses identities, skipping comments, blank lines and CRLF', async () => {
    const a = await generateAgeKeyPair();
    const b = await generateAgeKeyPair();
    const text = `# created: 2020-01-01T00:00:00Z\r\n# public key: ${a.recipient}\r\n${a.identity}\r\n\r\n  ${b.identity}  \n`;
    expect(parseAgeIdentities(text)).toEqual([a.identity, b.identity]);
  });

  it('refuses a line that is not an identity and names the line, not its content', () => {
    const err = (() => {
      try {
        parseAgeIdentities('# ok\nhunter2-password\n', 'key file k.txt');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(KeyError);
    expect(err?.message).toContain('k.txt: line 2');
    expect(err?.message).not.toContain('hunter2');
  });

  it('formats a key file the way age-keygen does', async () => {
    const a = await generateAgeKeyPair();
    expect(formatAgeKeyFile(a.identity, a.recipient, new Date('2024-05-06T07:08:09.123Z'))).toBe(
      `# created: 2024-05-06T07:08:09Z\n# public key: ${a.recipient}\n${a.identity}\n`,
    );
  });
});
