// Every file in test/vectors/sops (written by real sops 3.7.1–3.12.1, see its README) must
// decrypt with its MAC verified to exactly the plaintexts recorded in expected.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptSopsDocuments, parseAgeIdentities, unsealSopsForEdit, MacError } from '../../../src/index.js';
import { formatGoFloat } from '../../../src/formats/sops/values.js';

const DIR = join(import.meta.dirname, '../../vectors/sops');

interface ExpectedValue {
  path: string[];
  aad?: string;
  type?: string;
  plaintext?: string;
  encrypted?: boolean;
  value?: unknown;
}
interface Expected {
  file: string;
  key_file: string;
  data_key_hex: string;
  values: ExpectedValue[];
  comments?: { plaintext: string }[];
}

const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected[];

function formatOf(file: string): 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary' {
  if (file.endsWith('.json')) return 'json';
  if (file.endsWith('.env')) return 'dotenv';
  if (file.endsWith('.ini')) return 'ini';
  if (file.endsWith('.txt')) return 'binary';
  return 'yaml';
}

/** Leaves of decrypted documents in document order, serialized like sops's ToBytes. */
function leaves(node: unknown, path: string[] = [], out: { path: string[]; text: string }[] = []): typeof out {
  if (node === null || node === undefined) return out;
  if (Array.isArray(node)) for (const item of node) leaves(item, path, out);
  else if (typeof node === 'object' && !(node instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(node)) leaves(v, [...path, k], out);
  } else if (typeof node === 'boolean') out.push({ path, text: node ? 'True' : 'False' });
  else if (typeof node === 'number') out.push({ path, text: formatGoFloat(node) });
  else out.push({ path, text: typeof node === 'string' ? node : typeof node === 'bigint' ? node.toString() : JSON.stringify(node) });
  return out;
}

describe('sops test vectors', () => {
  for (const v of expected) {
    const format = formatOf(v.file);
    it(`${v.file} (${format}) decrypts with a verified MAC to the recorded plaintexts`, async () => {
      const text = readFileSync(join(DIR, v.file), 'utf8');
      const identities = parseAgeIdentities(readFileSync(join(DIR, v.key_file), 'utf8'));
      const { context, plaintext } = await unsealSopsForEdit(text, { identities, format, source: v.file });
      expect(Buffer.from(context.dataKey).toString('hex')).toBe(v.data_key_hex);
      expect(plaintext).not.toContain('ENC[AES256_GCM');
      for (const c of v.comments ?? []) expect(plaintext).toContain(c.plaintext);
      if (format === 'yaml' || format === 'json') {
        const docs = await decryptSopsDocuments(text, { identities, format, source: v.file });
        const got = docs.flatMap((d) => leaves(d));
        const want = v.values.map((e) => ({ path: e.path, text: e.plaintext ?? String(e.value) }));
        expect(got).toEqual(want);
      } else {
        for (const e of v.values) expect(plaintext).toContain((e.plaintext ?? String(e.value)).split('\n')[0]);
      }
    });

    it(`${v.file} (${format}) is refused with a MacError when one unencrypted byte changes`, async () => {
      const text = readFileSync(join(DIR, v.file), 'utf8');
      const identities = parseAgeIdentities(readFileSync(join(DIR, v.key_file), 'utf8'));
      const unenc = v.values.find((e) => e.encrypted === false && typeof e.value === 'string' && e.value.length > 3);
      if (!unenc) return;
      const value = unenc.value as string;
      const tampered = text.replace(value, `${value.slice(0, -1)}X`);
      expect(tampered).not.toBe(text);
      await expect(unsealSopsForEdit(tampered, { identities, format, source: v.file })).rejects.toBeInstanceOf(MacError);
    });
  }
});
