import { beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair, sealSops, unsealSops, verifySops, type AgeKeyPair } from '../../../src/index.js';

// Linear versus quadratic, as a ratio of the same work at two sizes (never a wall time): ten
// times the keys must cost well under a hundred times as much. Before the fix (per-key line
// lookups from the start of the text, the yaml library's pairwise duplicate-key check) the
// ratio was above 50; linear code stays near 10.
const secret = (n: number): string =>
  'apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\n  namespace: bench\ntype: Opaque\nstringData:\n' +
  Array.from({ length: n }, (_, i) => `  key${i}: value-${i}\n`).join('');

let key: AgeKeyPair;
beforeAll(async () => {
  key = await generateAgeKeyPair();
});

async function fastest(run: () => Promise<unknown>, times = 2): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const t0 = process.hrtime.bigint();
    await run();
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  return best;
}

describe('sealed files of many keys', () => {
  it('open and verify in time proportional to their size (20,000 keys against 2,000)', async () => {
    const small = await sealSops(secret(2000), { recipients: [key.recipient], source: 'small.yaml' });
    const large = await sealSops(secret(20000), { recipients: [key.recipient], source: 'large.yaml' });
    const back = await unsealSops(large, { identities: [key.identity], source: 'large.yaml' });
    expect(back).toBe(secret(20000));
    const open = (text: string) => async () => {
      await unsealSops(text, { identities: [key.identity] });
      expect((await verifySops(text, { identities: [key.identity] })).ok).toBe(true);
    };
    await open(small)(); // warm the JIT before measuring
    const ratio = (await fastest(open(large))) / (await fastest(open(small)));
    expect(ratio, `ratio ${ratio.toFixed(1)}`).toBeLessThan(30);
  }, 120_000);
});
