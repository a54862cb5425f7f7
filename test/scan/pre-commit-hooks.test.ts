import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

describe('.pre-commit-hooks.yaml', () => {
  it('defines a node hook that runs the staged scan once per commit without file names', () => {
    const hooks = parse(readFileSync(new URL('../../.pre-commit-hooks.yaml', import.meta.url), 'utf8')) as Record<string, unknown>[];
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ id: 'sealops-guard', entry: 'sealops scan --staged', language: 'node', pass_filenames: false, always_run: true });
  });
});
