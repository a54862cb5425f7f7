// Mutation fuzzing of sealed files with a fixed seed: thousands of random edits by someone who
// can write to the repository but holds no key (flipped characters, deleted, duplicated,
// swapped or re-indented lines, renamed keys, values moved between lines). Whatever opens must
// be exactly what was sealed: same namespace, same name, same values. For a SealedSecret the
// values may come out under each other's keys (the Bitnami format cannot bind a value to its
// key; README, threat model), but never a value that was not sealed.
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatKubesealYaml, generateAgeKeyPair, readSealedSecretDocuments, sealSecret, sealSops, unsealSealedSecret, unsealSops, type AgeKeyPair } from '../../src/index.js';
import { rsaKeyPair } from '../support/rsa.js';

const MUTANTS = 2000;
const NS = 'payments';
const NAME = 'db';
const VALUES = { password: 'fuzz-password-71c2', token: 'fuzz-token-0b9e' };

/** mulberry32: small, fast and reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['name', 'namespace', 'labels', 'annotations', 'nspace', 'metadata', 'password', 'token', 'stringData', 'data', 'kind'];

function mutate(text: string, rnd: () => number): string {
  const pick = (n: number): number => Math.floor(rnd() * n);
  let lines = text.split('\n');
  for (let ops = 1 + pick(3); ops > 0; ops--) {
    const i = pick(lines.length);
    const j = pick(lines.length);
    const line = lines[i] ?? '';
    switch (pick(7)) {
      case 0: {
        const at = pick(line.length + 1);
        lines[i] = line.slice(0, at) + String.fromCharCode(32 + pick(95)) + line.slice(at + 1);
        break;
      }
      case 1:
        lines.splice(i, 1);
        break;
      case 2:
        lines.splice(i, 0, line);
        break;
      case 3:
        [lines[i], lines[j]] = [lines[j] ?? '', line];
        break;
      case 4:
        lines[i] = line.replace(/^(\s*)[\w./-]+:/, (_m, sp: string) => `${sp}${KEYS[pick(KEYS.length)]}:`);
        break;
      case 5:
        lines[i] = rnd() < 0.5 ? `  ${line}` : line.replace(/^ {2}/, '');
        break;
      default: {
        const a = /^(\s*[\w./-]+: )(.*)$/.exec(line);
        const b = /^(\s*[\w./-]+: )(.*)$/.exec(lines[j] ?? '');
        if (a && b) [lines[i], lines[j]] = [`${a[1]}${b[2]}`, `${b[1]}${a[2]}`];
      }
    }
    lines = lines.filter((_, k) => k < 400);
  }
  return lines.join('\n');
}

interface Opened {
  namespace?: unknown;
  name?: unknown;
  values: Record<string, string>;
}

function valuesOf(doc: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((doc.stringData ?? {}) as Record<string, unknown>)) out[k] = String(v);
  for (const [k, v] of Object.entries((doc.data ?? {}) as Record<string, unknown>)) out[k] = Buffer.from(String(v), 'base64').toString('utf8');
  return out;
}

let age: AgeKeyPair;
beforeAll(async () => {
  age = await generateAgeKeyPair();
});

describe('random mutations of sealed files', () => {
  it(`never open a SOPS Secret under another namespace, name or value (${MUTANTS} mutants, seed 10)`, async () => {
    const plain = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${NAME}\n  namespace: ${NS}\n  labels:\n    app: ${NAME}\ntype: Opaque\nstringData:\n  password: ${VALUES.password}\n  token: ${VALUES.token}\n`;
    const sealed = await sealSops(plain, { recipients: [age.recipient], source: 's.yaml' });
    const rnd = prng(10);
    let opened = 0;
    const wrong: string[] = [];
    for (let n = 0; n < MUTANTS; n++) {
      const mutant = mutate(sealed, rnd);
      let text: string;
      try {
        text = await unsealSops(mutant, { identities: [age.identity], source: 's.yaml' });
      } catch {
        continue; // refused: fine
      }
      opened++;
      for (const d of parseAllDocuments(text)) {
        const doc = (d.toJS() ?? {}) as Record<string, unknown>;
        const meta = (doc.metadata ?? {}) as Record<string, unknown>;
        const got: Opened = { namespace: meta.namespace, name: meta.name, values: valuesOf(doc) };
        const same = got.namespace === NS && got.name === NAME && Object.entries(got.values).every(([k, v]) => VALUES[k as keyof typeof VALUES] === v);
        if (!same) wrong.push(`mutant ${n}: ${JSON.stringify({ namespace: got.namespace, name: got.name, keys: Object.keys(got.values) })}`);
      }
    }
    expect(wrong).toEqual([]);
    // Some mutants (whitespace, comments, labels) must still open, or this proves nothing.
    expect(opened).toBeGreaterThan(0);
  }, 60_000);

  it(`never open a SealedSecret under another namespace or name, nor with a value that was not sealed (${MUTANTS} mutants, seed 11)`, () => {
    const { privateKey, publicKey } = rsaKeyPair(2048);
    const sealed = formatKubesealYaml(sealSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: NAME, namespace: NS }, stringData: VALUES }, publicKey));
    const rnd = prng(11);
    const sealedValues = new Set(Object.values(VALUES));
    let opened = 0;
    const wrong: string[] = [];
    for (let n = 0; n < MUTANTS; n++) {
      const mutant = mutate(sealed, rnd);
      let secrets: Record<string, unknown>[];
      try {
        secrets = readSealedSecretDocuments(mutant, 's.yaml').map((d) => unsealSealedSecret(d, [privateKey]) as unknown as Record<string, unknown>);
      } catch {
        continue;
      }
      opened++;
      for (const s of secrets) {
        const meta = (s.metadata ?? {}) as Record<string, unknown>;
        const values = Object.values(valuesOf(s));
        if (meta.namespace !== NS || meta.name !== NAME || values.some((v) => !sealedValues.has(v))) wrong.push(`mutant ${n}: ${JSON.stringify({ namespace: meta.namespace, name: meta.name })}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(opened).toBeGreaterThan(0);
    expect(parse(sealed)).toMatchObject({ kind: 'SealedSecret' });
  }, 60_000);
});
