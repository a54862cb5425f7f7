// The build stage with the real kustomize binary: what it builds, what it adds for Flux's
// components/targetNamespace, and everything it refuses on untrusted input, naming the file.
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runKustomize } from '../../src/build/kustomize.js';
import { stringify } from 'yaml';
import { renderPath } from '../../src/build/render.js';
import { BuildRefusedError } from '../../src/build/preflight.js';
import { asInputs, kustomizeBuild } from '../support/kustomize-repo.js';

const cm = (name: string, extra: Record<string, unknown> = {}) => stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data: { a: 'b' } });
const k = (v: Record<string, unknown>) => stringify(v);
const refusal = async (files: Map<string, string>, path: string, options = {}) => {
  const err = await renderPath({ files: asInputs(files), path, kustomize: options }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BuildRefusedError);
  return (err as Error).message;
};

describe('renderPath', () => {
  it('builds a folder reached through a Kustomization file (any of the three names) with kustomize itself', async () => {
    for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
      const files = new Map([['app/cm.yaml', cm('settings')], [`app/${name}`, k({ namePrefix: 'pre-', namespace: 'n1', resources: ['cm.yaml'] })]]);
      const out = await renderPath({ files: asInputs(files), path: 'app' });
      expect(out.manifests.map((m) => m.object)).toEqual(kustomizeBuild(files, 'app'));
      expect(out.manifests[0]!.object.metadata).toEqual({ name: 'pre-settings', namespace: 'n1' });
      expect(out.kustomization).toBe(`app/${name}`);
    }
  });

  it('keeps reading a folder without a kustomization as plain manifests, and nothing outside it', async () => {
    const files = new Map([['app/a.yaml', cm('a')], ['app/notes.yaml', 'just: values\n'], ['other/b.yaml', cm('b')]]);
    const out = await renderPath({ files: asInputs(files), path: 'app' });
    expect(out.manifests.map((m) => m.object.metadata.name)).toEqual(['a']);
    expect(out.kustomization).toBeUndefined();
  });

  it('adds spec.components and sets spec.targetNamespace as Flux does, also over plain manifests', async () => {
    const files = new Map([
      ['app/a.yaml', cm('a', { namespace: 'elsewhere' })],
      ['comp/kustomization.yaml', k({ apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component', commonLabels: { team: 'blue' } })],
    ]);
    const out = await renderPath({ files: asInputs(files), path: 'app', components: ['../comp'], targetNamespace: 'tenant-1' });
    expect(out.manifests[0]!.object.metadata).toEqual({ name: 'a', namespace: 'tenant-1', labels: { team: 'blue' } });
  });

  it('refuses a remote base or resource before running anything', async () => {
    for (const url of ['https://github.com/org/repo//base?ref=v1', 'github.com/org/repo/base', 'git@github.com:org/repo.git', 'http://169.254.169.254/latest']) {
      const msg = await refusal(new Map([['o/kustomization.yaml', k({ resources: [url] })]]), 'o');
      expect(msg).toContain('failed to build o/kustomization.yaml: remote resources');
    }
  });

  it('refuses a path that leaves the repository through ../, in the root or in a base it reaches', async () => {
    expect(await refusal(new Map([['o/kustomization.yaml', k({ resources: ['../../etc'] })]]), 'o')).toMatch(/o\/kustomization\.yaml: resources "\.\.\/\.\.\/etc" leaves the repository/);
    const nested = new Map([
      ['o/kustomization.yaml', k({ resources: ['../base'] })],
      ['base/kustomization.yaml', k({ secretGenerator: [{ name: 's', files: ['key=../../../root/.ssh/id_rsa'] }] })],
    ]);
    expect(await refusal(nested, 'o')).toMatch(/base\/kustomization\.yaml: secretGenerator .* leaves the repository/);
  });

  it('refuses exec and container KRM functions, inline or in a file', async () => {
    const fn = k({ apiVersion: 'example.com/v1', kind: 'Run', metadata: { name: 'x', annotations: { 'config.kubernetes.io/function': 'exec:\n  path: /bin/sh\n' } } });
    expect(await refusal(new Map([['kustomization.yaml', k({ generators: ['gen.yaml'] })], ['gen.yaml', fn]]), '')).toMatch(/kustomization\.yaml: KRM functions/);
    expect(await refusal(new Map([['kustomization.yaml', k({ transformers: [fn] })]]), '')).toMatch(/KRM functions/);
  });

  it('refuses Helm chart inflation', async () => {
    expect(await refusal(new Map([['kustomization.yaml', k({ helmCharts: [{ name: 'x', repo: 'https://charts.example.com' }] })]]), '')).toMatch(/Helm chart inflation \(helmCharts\)/);
    expect(await refusal(new Map([['kustomization.yaml', k({ helmChartInflationGenerator: [{ chartName: 'x' }] })]]), '')).toMatch(/helmChartInflationGenerator/);
  });

  it('refuses a build over the output cap, and one over the memory cap', async () => {
    const many = new Map([['kustomization.yaml', k({ resources: Array.from({ length: 50 }, (_, i) => `c${i}.yaml`) })]]);
    for (let i = 0; i < 50; i++) many.set(`c${i}.yaml`, cm(`c${i}`));
    expect(await refusal(many, '', { maxOutputBytes: 1000 })).toMatch(/kustomization\.yaml: the build output exceeds 1000 bytes/);
    expect(await refusal(many, '', { maxMemoryBytes: 16 * 1024 * 1024 })).toMatch(/kustomization\.yaml: kustomize exceeded its memory cap/);
  });

  it('reports kustomize own errors naming the file, without the private build folder', async () => {
    const msg = await refusal(new Map([['o/kustomization.yaml', k({ resources: ['missing.yaml'] })]]), 'o');
    expect(msg).toMatch(/^failed to build o\/kustomization\.yaml: kustomize: /);
    expect(msg).not.toMatch(/sealops-kustomize-/);
  });

  it('runs kustomize with no network even when handed a URL past the checks: a loopback server sees no request', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end(cm('fetched'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cm.yaml`;
      const files = new Map([['kustomization.yaml', Buffer.from(k({ resources: [url] }))]]);
      await expect(runKustomize(files, '', 'kustomization.yaml')).rejects.toBeInstanceOf(BuildRefusedError);
      expect(hits).toBe(0);
    } finally {
      server.close();
    }
  });
});
