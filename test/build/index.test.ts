// The build stage on in-memory files: ordering, the manifest rule, validation and errors.
import { describe, expect, it } from 'vitest';
import { buildManifests, isManifestPath } from '../../src/build/index.js';
import { InputError } from '../../src/errors.js';

const file = (path: string, text: string) => ({ path, content: Buffer.from(text) });
const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: a\n`;

describe('buildManifests', () => {
  it('reads files in path order whatever order they arrive in, and every document of each', () => {
    const out = buildManifests([file('b.yaml', cm('b1') + '---\n' + cm('b2')), file('a/z.yml', cm('az')), file('a.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aj' } }))]);
    expect(out.manifests.map((m) => [m.file, m.doc, m.object.metadata.name])).toEqual([
      ['a.json', 0, 'aj'],
      ['a/z.yml', 0, 'az'],
      ['b.yaml', 0, 'b1'],
      ['b.yaml', 1, 'b2'],
    ]);
  });

  it('skips non-manifest documents and says why, and ignores other extensions and hidden paths', () => {
    const out = buildManifests([
      file('values.yaml', 'replicas: 3\n'),
      file('list.yaml', '- a\n- b\n'),
      file('kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n'),
      file('empty.yaml', '---\n'),
      file('README.md', cm('readme')),
      file('.sops.yaml', cm('hidden')),
      file('.github/x.yaml', cm('hidden2')),
    ]);
    expect(out.manifests).toHaveLength(0);
    expect(out.skipped.map((s) => [s.file, s.why])).toEqual([
      ['kustomization.yaml', 'kustomize configuration'],
      ['list.yaml', 'not a mapping'],
      ['values.yaml', 'no apiVersion or kind'],
    ]);
  });

  it('expands a v1 List into its items', () => {
    const out = buildManifests([file('l.yaml', `apiVersion: v1\nkind: List\nitems:\n- ${cm('x').trim().split('\n').join('\n  ')}\n`)]);
    expect(out.manifests.map((m) => m.object.metadata.name)).toEqual(['x']);
  });

  it('fails naming the file and document when an object has no name', () => {
    expect(() => buildManifests([file('ok.yaml', cm('ok') + '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n')])).toThrow(/ok\.yaml \(document 2\): ConfigMap has no metadata\.name/);
  });

  it('fails on a YAML syntax error without quoting the offending line', () => {
    const err = (() => {
      try {
        buildManifests([file('bad.yaml', 'apiVersion: v1\nkind: Secret\nstringData:\n  password: "hunter2-secret\n')]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('bad.yaml');
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('fails naming the file on an alias bomb, as a build error', () => {
    let y = `${cm('bomb')}data:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n`;
    for (let i = 1; i < 8; i++) y += `  a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
    expect(() => buildManifests([file('bomb.yaml', y)])).toThrow(InputError);
    expect(() => buildManifests([file('bomb.yaml', y)])).toThrow(/^failed to parse bomb\.yaml: /);
  });

  it('fails with an InputError on collections nested too deep, on every reconcile, instead of aborting the process', () => {
    // A few compositions of ~2,000 nested flow collections make V8 abort the agent outright.
    const deep = file('deep.yaml', `${cm('d')}data:\n  a: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    for (let i = 0; i < 6; i++) {
      const err = (() => {
        try {
          buildManifests([deep]);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(/^failed to parse deep\.yaml: collections nested deeper than \d+ levels at line 7$/);
    }
  });

  it('fails on the same object defined twice', () => {
    expect(() => buildManifests([file('a.yaml', cm('dup')), file('b.yaml', cm('dup'))])).toThrow(/ConfigMap dup is also defined in a\.yaml/);
  });
});

describe('isManifestPath', () => {
  it('accepts yaml, yml and json files outside hidden folders only', () => {
    expect(['a.yaml', 'x/b.yml', 'c.JSON', 'd.txt', '.hidden.yaml', 'e/.f/g.yaml'].map(isManifestPath)).toEqual([true, true, true, false, false, false]);
  });
});
