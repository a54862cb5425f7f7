/** The public API: listed by name, internals kept out. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';

describe('src/index.ts', () => {
  it('lists its exports by name instead of re-exporting whole modules', () => {
    const text = readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8');
    expect(text).not.toMatch(/export \*/);
  });

  it('keeps internals out, and no name clashes with the test runner', () => {
    for (const name of ['MacBuilder', 'execGit', 'describe', 'parseEncValue', 'encryptValue', 'mapLimit', 'isRecord']) expect(lib).not.toHaveProperty(name);
  });

  it('offers the format layer and one call per file command', () => {
    for (const name of ['detectFormat', 'formatFor', 'sealText', 'loadKeyRing', 'sealInputs', 'mergeInputs', 'unsealInputs', 'verifyInputs', 'rekeyInputs', 'rotateInputs', 'formatError']) {
      expect(typeof (lib as Record<string, unknown>)[name]).toBe('function');
    }
    expect(Object.keys(lib).length).toBeLessThan(200);
  });
});
