/**
 * The three install paths render the same objects: `kustomize build deploy/` (what
 * `kubectl apply -k deploy/` applies; the real kustomize v5), `sealops install --export`, and the
 * Helm chart rendered by the real `helm` with default values. Overrides (`--image`,
 * `--namespace`) match what a kustomize overlay would make.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { run } from '../cli/helpers.js';
import { repoRoot } from '../support/checkout.js';
import { peerPath } from '../support/peers.js';

type Obj = { kind: string; metadata: { name: string; namespace?: string } };

/** Objects of a YAML stream keyed `Kind/namespace/name`. */
function objectsOf(yaml: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const d of parseAllDocuments(yaml)) {
    const o = d.toJS() as Obj | null;
    if (o) out.set(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  }
  return out;
}

const deploy = join(repoRoot, 'deploy');
const kustomize = (dir: string): string => execFileSync(peerPath('kustomize'), ['build', dir], { encoding: 'utf8' });
const work = mkdtempSync(join(tmpdir(), 'sealops-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('sealops install --export', () => {
  it('prints the objects of kustomize build deploy/, one for one', async () => {
    const r = await run(['install', '--export'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    const ours = objectsOf(r.stdout);
    expect(ours.size).toBeGreaterThanOrEqual(10);
    expect(ours).toEqual(objectsOf(kustomize(deploy)));
  });

  it('with --image and --namespace matches an overlay with namespace: and images:', async () => {
    const overlay = join(work, 'overlay');
    execFileSync('mkdir', ['-p', overlay]);
    execFileSync('cp', ['-r', deploy, join(overlay, 'base')]);
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      'resources: [base]\nnamespace: platform-gitops\nimages:\n  - name: ghcr.io/sealops/sealops\n    newName: registry.internal:5000/sealops/agent\n    newTag: 0.1.0-rc.1\n',
    );
    const r = await run(['install', '--export', '--image', 'registry.internal:5000/sealops/agent:0.1.0-rc.1', '--namespace', 'platform-gitops'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    const ours = objectsOf(r.stdout);
    expect(ours).toEqual(objectsOf(kustomize(overlay)));
    expect(r.stdout).toContain('image: registry.internal:5000/sealops/agent:0.1.0-rc.1');
    expect(r.stdout).not.toContain('sealops-system');
  });

  it('refuses an image reference that is not one, with a usage error and nothing printed', async () => {
    const r = await run(['install', '--export', '--image', 'Bad Image!'], { cwd: work });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/sealops: error: failed to use image "Bad Image!": not an image reference/);
  });
});

describe('the Helm chart in deploy/chart', () => {
  const helm = (...args: string[]): string => execFileSync(peerPath('helm'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HELM_CACHE_HOME: join(work, 'helm'), HELM_CONFIG_HOME: join(work, 'helm'), HELM_DATA_HOME: join(work, 'helm') } });

  it('renders the same objects as kustomize build deploy/ for its default values', () => {
    const rendered = helm('template', 'sealops', join(deploy, 'chart'), '--namespace', 'sealops-system', '--include-crds', '--kube-version', '1.36.3');
    expect(objectsOf(rendered)).toEqual(objectsOf(kustomize(deploy)));
  });

  it('carries deploy/crd-sync.yaml byte for byte (copy it to deploy/chart/crds/ when the CRD changes)', () => {
    expect(readFileSync(join(deploy, 'chart', 'crds', 'crd-sync.yaml'), 'utf8')).toBe(readFileSync(join(deploy, 'crd-sync.yaml'), 'utf8'));
  });

  it('renders a shard: its own names, the label selector and impersonation by default', () => {
    const rendered = objectsOf(
      helm('template', 'shard-a', join(deploy, 'chart'), '--namespace', 'gitops-a', '--kube-version', '1.36.3', '--set', 'name=sealops-agent-a,createNamespace=false,watchLabelSelector=sealops.dev/shard=a,defaultServiceAccount=deployer'),
    );
    const dep = rendered.get('Deployment/gitops-a/sealops-agent-a') as { spec: { template: { spec: { containers: { args: string[] }[]; serviceAccountName: string } } } };
    expect(dep.spec.template.spec.containers[0]!.args).toEqual(['agent', '--listen', '8080', '--watch-label-selector', 'sealops.dev/shard=a', '--default-service-account', 'deployer']);
    expect(dep.spec.template.spec.serviceAccountName).toBe('sealops-agent-a');
    expect(rendered.has('ClusterRole//sealops-agent-a-syncs')).toBe(true);
    expect([...rendered.keys()].some((k) => k.startsWith('Namespace/'))).toBe(false);
  });

  it('is refused by helm for a cluster older than its kubeVersion', () => {
    expect(() => helm('template', 'sealops', join(deploy, 'chart'), '--kube-version', '1.20.0')).toThrow(/chart requires kubeVersion: >=1\.30\.0-0 which is incompatible with Kubernetes v1\.20\.0/);
  });
});
