// Property tests: seal → unseal over arbitrary Secret manifests and values gives back the exact
// bytes, hides every value, and survives sops's selection rules.
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptSopsDocuments, generateAgeKeyPair, sealSops, unsealSops, type AgeKeyPair } from '../../../src/index.js';

let key: AgeKeyPair;
beforeAll(async () => {
  key = await generateAgeKeyPair();
});

/** Plain words that YAML 1.1 readers take for booleans or null. */
const YAML11_WORD = /^(true|false|null|yes|no|on|off|y|n|~)$/i;
/** Characters both writers escape, each its own way (`\x01` against `\u0001`, `'…'` against `"…"`). */
// eslint-disable-next-line no-control-regex
const ESCAPED = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

const keyName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,15}$/).filter((k) => k !== 'sops');
const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.stringMatching(/^[a-z0-9 :#'"\n-]{1,30}$/),
  fc.constantFrom('n', 'Y', 'yes', 'off', 'NULL', '~'),
  fc.integer(),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
);
const secret = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
  stringData: fc.dictionary(keyName, value, { minKeys: 1, maxKeys: 6 }),
  data: fc.dictionary(keyName, fc.base64String({ minLength: 4, maxLength: 40 }), { maxKeys: 3 }),
});

describe('seal → unseal properties', () => {
  it('gives back any Secret (byte for byte when values are single-line) and leaves no value in the sealed text', async () => {
    await fc.assert(
      fc.asyncProperty(secret, fc.boolean(), async (s, crlf) => {
        const obj = { apiVersion: 'v1', kind: 'Secret', metadata: { name: s.name }, stringData: s.stringData, ...(Object.keys(s.data).length ? { data: s.data } : {}) };
        let text = stringify(obj);
        if (crlf) text = text.replace(/\n/g, '\r\n');
        const sealed = await sealSops(text, { recipients: [key.recipient] });
        for (const v of Object.values(s.stringData)) {
          if (typeof v === 'string' && v.length >= 6 && !/^\s|\s$/.test(v) && !'ENC[AES256_GCM,data:iv:tag:type:str]'.includes(v)) expect(sealed).not.toContain(v);
        }
        const back = await unsealSops(sealed, { identities: [key.identity] });
        // Multi-line values may come back with blank lines unindented, words a YAML 1.1 reader
        // (kubectl's) takes for booleans or null come back quoted on purpose (scalar-style.ts),
        // floats in the text `sops -d` prints (`-1e-09`), and control characters and line separators
        // come back double-quoted with escapes; everything else byte for byte.
        const restyled = Object.values(s.stringData).some((v) => (typeof v === 'string' && (v.includes('\n') || YAML11_WORD.test(v) || ESCAPED.test(v))) || (typeof v === 'number' && !Number.isInteger(v)));
        if (!restyled) expect(back).toBe(text);
        for (const v of Object.values(s.stringData)) if (typeof v === 'string' && YAML11_WORD.test(v)) expect(back).toContain(`"${v}"`);
        const [doc] = (await decryptSopsDocuments(sealed, { identities: [key.identity] })) as Record<string, unknown>[];
        // Compared with what the text means (yaml's own stringify is lossy for some whitespace).
        expect(doc?.stringData).toEqual((parse(text) as { stringData: unknown }).stringData);
      }),
      // The no-break space once came back quoted; sops writes it plain, and so must unsealing.
      { numRuns: 60, examples: [[{ name: 'a', stringData: { _: '\u00a0', n: 'x\u3000' }, data: {} }, false]] },
    );
  });

  it('round-trips arbitrary JSON documents with nested maps and lists', async () => {
    const json = fc.dictionary(keyName, fc.jsonValue({ maxDepth: 3 }), { minKeys: 1, maxKeys: 5 });
    await fc.assert(
      fc.asyncProperty(json, async (obj) => {
        const text = `${JSON.stringify(obj, null, 2)}\n`;
        const sealed = await sealSops(text, { recipients: [key.recipient], format: 'json' });
        expect(await unsealSops(sealed, { identities: [key.identity], format: 'json' })).toBe(text);
      }),
      { numRuns: 40 },
    );
  });
});
