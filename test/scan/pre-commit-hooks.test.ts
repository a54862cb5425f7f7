import { accessSync, constants, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

describe('.pre-commit-hooks.yaml', () => {
  it('defines a script hook that runs the staged scan once per commit without file names', () => {
    const hooks = parse(readFileSync(new URL('../../.pre-commit-hooks.yaml', import.meta.url), 'utf8')) as Record<string, unknown>[];
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ id: 'sealops-guard', entry: 'tools/pre-commit-guard.sh', language: 'script', pass_filenames: false, always_run: true });
    // pre-commit runs a script entry directly: it must be executable in git.
    expect(() => accessSync(fileURLToPath(new URL('../../tools/pre-commit-guard.sh', import.meta.url)), constants.X_OK)).not.toThrow();
    expect(readFileSync(new URL('../../tools/pre-commit-guard.sh', import.meta.url), 'utf8')).toMatch(/exec node "\$cli" scan --staged "\$@"\n$/);
  });
});
