import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, generateAgeKeyPair, parseSealopsConfig, resolveRecipients } from '../../src/index.js';
import { firstMatchingRule, ruleMatches, unmatchedRules, type PathRule } from '../../src/keys/path-rules.js';

function rule(path: string | string[], clusters: string[] = ['c']): PathRule {
  const globs = typeof path === 'string' ? [path] : path;
  return { path: globs.join(', '), globs, clusters };
}

describe('a path rule glob', () => {
  it('matches * within one segment and ** across segments', () => {
    expect(ruleMatches(rule('apps/*.yaml'), 'apps/db.yaml')).toBe(true);
    expect(ruleMatches(rule('apps/*.yaml'), 'apps/x/db.yaml')).toBe(false);
    expect(ruleMatches(rule('apps/**/*.yaml'), 'apps/db.yaml')).toBe(true);
    expect(ruleMatches(rule('apps/**/*.yaml'), 'apps/a/b/db.yaml')).toBe(true);
    expect(ruleMatches(rule('a.b'), 'axb')).toBe(false);
  });

  it('expands braces, the pattern a hand-written translation silently missed', () => {
    const r = rule('clusters/{prod,stage}/**');
    expect(ruleMatches(r, 'clusters/prod/app/db.yaml')).toBe(true);
    expect(ruleMatches(r, 'clusters/stage/db.yaml')).toBe(true);
    expect(ruleMatches(r, 'clusters/dev/db.yaml')).toBe(false);
    expect(ruleMatches(r, 'clusters/production/db.yaml')).toBe(false);
    expect(ruleMatches(rule('**/*.{yaml,env}'), 'a/b.env')).toBe(true);
  });

  it('lets ** pick dot files such as .env', () => {
    expect(ruleMatches(rule('apps/**'), 'apps/web/.env')).toBe(true);
  });

  it('excludes with !: a file must match a positive glob and no negative one', () => {
    const r = rule(['clusters/**', '!clusters/dev/**']);
    expect(ruleMatches(r, 'clusters/prod/db.yaml')).toBe(true);
    expect(ruleMatches(r, 'clusters/dev/db.yaml')).toBe(false);
    expect(ruleMatches(r, 'other/db.yaml')).toBe(false);
  });

  it('with negative globs only, matches every file none of them matches', () => {
    const r = rule('!**/*.test.yaml');
    expect(ruleMatches(r, 'a/db.yaml')).toBe(true);
    expect(ruleMatches(r, 'a/db.test.yaml')).toBe(false);
  });

  it('lets an excluded file fall through to the next rule (first match wins)', () => {
    const rules = [rule(['clusters/**', '!clusters/dev/**'], ['prod']), rule('clusters/dev/**', ['dev']), rule('**', ['fallback'])];
    expect(firstMatchingRule(rules, 'clusters/prod/a.yaml')?.clusters).toEqual(['prod']);
    expect(firstMatchingRule(rules, 'clusters/dev/a.yaml')?.clusters).toEqual(['dev']);
    expect(firstMatchingRule(rules, 'x.yaml')?.clusters).toEqual(['fallback']);
    expect(firstMatchingRule(rules, undefined)?.clusters).toEqual(['fallback']);
  });

  it('names the rules that match none of the given files', () => {
    const rules = [rule('clusters/{prod,stage}/**'), rule('clusters/prdo/**')];
    expect(unmatchedRules(rules, ['clusters/prod/a.yaml']).map((u) => u.index)).toEqual([1]);
  });
});

describe('path rules in .sealops.yaml', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sealops-rules-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('seal a file under a brace glob for every cluster the rule names, plus the team', async () => {
    const [prod, stage, admin] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair(), generateAgeKeyPair()]);
    await writeFile(
      join(dir, '.sealops.yaml'),
      `clusters:\n  prod:\n    recipients: [${prod.recipient}]\n  stage:\n    recipients: [${stage.recipient}]\nteam: [${admin.recipient}]\nrules:\n  - path: ["clusters/{prod,stage}/**", "!clusters/*/scratch/**"]\n    clusters: [prod, stage]\n`,
    );
    await mkdir(join(dir, 'clusters', 'stage'), { recursive: true });
    expect((await resolveRecipients({ target: 'clusters/stage/db.yaml', cwd: dir })).recipients).toEqual([prod.recipient, stage.recipient, admin.recipient]);
    expect((await resolveRecipients({ target: 'clusters/stage/scratch/db.yaml', cwd: dir })).recipients).toEqual([]);
  });

  it('refuse a rule naming an unknown cluster, listing the known ones', () => {
    let err: unknown;
    try {
      parseSealopsConfig('clusters:\n  prod: {recipients: []}\nrules:\n  - path: "**"\n    clusters: [prdo]\n', '.sealops.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe('failed to read .sealops.yaml: rules[0] names unknown cluster "prdo"');
    expect((err as ConfigError).hint).toBe('clusters defined: prod');
  });

  it('refuse an empty, absolute or non-string glob', () => {
    for (const path of ['""', '"/abs/**"', '[]', '3', '["a", 1]']) {
      expect(() => parseSealopsConfig(`clusters: {}\nrules:\n  - path: ${path}\n    clusters: []\n`, 'x')).toThrow(ConfigError);
    }
  });
});
