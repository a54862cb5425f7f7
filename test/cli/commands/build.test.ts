// `sealops build` in-process on a repository written to disk: redacted without a key, the
// agent's own result with one, post-build values from flags and files, and refusals as errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { renderSync } from '../../../src/agent/render.js';
import { loadDecryptionKeys, SEALED_MARKER } from '../../../src/agent/decrypt/index.js';
import { asInputs, makeRepoKeys, PLAIN, sopsEncrypt, teamRepository, type RepoKeys } from '../../support/kustomize-repo.js';
import { run, tempDir } from '../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let keys: RepoKeys;
let repo: Map<string, string>;
const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as { kind: string; metadata: { name: string }; data?: Record<string, string>; stringData?: Record<string, string> });

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  keys = makeRepoKeys();
  repo = await teamRepository(keys);
  repo.set('vars/cm.yaml', stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'greeting', annotations: { note: 'hello ${who} in ${place:=nowhere}' } } }));
  repo.set('vars/kustomization.yaml', stringify({ namespace: 'v', resources: ['cm.yaml'] }));
  repo.set('bad/kustomization.yaml', stringify({ helmCharts: [{ name: 'x' }] }));
  repo.set('legacy/db.yaml', sopsEncrypt(stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'legacy', namespace: 'old' }, stringData: { password: 'legacy-pw-4410' } }), keys.recipient));
  repo.set('legacy/kustomization.yaml', stringify({ resources: ['db.yaml'] }));
  for (const [p, text] of repo) {
    mkdirSync(dirname(join(dir, 'repo', p)), { recursive: true });
    writeFileSync(join(dir, 'repo', p), text);
  }
  execFileSync('git', ['init', '-q', join(dir, 'repo')]);
  writeFileSync(join(dir, 'key.txt'), keys.identity);
  writeFileSync(join(dir, 'rsa.pem'), keys.rsaPem);
  writeFileSync(join(dir, 'vars.yaml'), stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'v' }, stringData: { place: 'the-lab' } }));
});
afterAll(() => cleanup());

describe('sealops build', () => {
  it('prints what the agent applies for an overlay, bases outside the folder included, when given the keys', async () => {
    const r = await run(['build', 'repo/overlays/staging', '-k', 'key.txt', '-k', 'rsa.pem'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const agent = await renderSync({ files: asInputs(repo), path: 'overlays/staging' }, { keys: () => Promise.resolve(loadDecryptionKeys({ 'a.agekey': keys.identity, 'b.pem': keys.rsaPem })) });
    expect(docs(r.stdout)).toEqual(agent.manifests.map((m) => m.object));
  });

  it('keeps the keys and replaces every sealed value with the fixed marker without -k', async () => {
    const r = await run(['build', 'repo/overlays/staging'], { cwd: dir });
    expect(r.status).toBe(0);
    for (const v of Object.values(PLAIN)) expect(r.stdout).not.toContain(v);
    const secrets = docs(r.stdout).filter((d) => d.kind === 'Secret');
    expect(secrets.flatMap((s) => Object.values({ ...s.data, ...s.stringData }))).toEqual(Array(4).fill(SEALED_MARKER));
  });

  it('substitutes post-build values from --substitute and --substitute-from, the flag winning', async () => {
    const r = await run(['build', 'repo/vars', '--substitute-from', 'vars.yaml', '--substitute', 'who=world'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(docs(r.stdout)[0]!).toMatchObject({ metadata: { annotations: { note: 'hello world in the-lab' } } });
  });

  it('reads what sealops seal writes for a generator source: a dotenv sealed in place becomes the generated Secret', async () => {
    mkdirSync(join(dir, 'repo', 'gen'), { recursive: true });
    writeFileSync(join(dir, 'repo', 'gen', 'app.env'), 'API_KEY=generated-from-cli-5e1\n');
    writeFileSync(join(dir, 'repo', 'gen', 'kustomization.yaml'), stringify({ namespace: 'g', secretGenerator: [{ name: 'app', envs: ['app.env'] }] }));
    const sealed = await run(['seal', '-r', keys.recipient, '-i', 'repo/gen/app.env'], { cwd: dir });
    expect(sealed.status).toBe(0);
    const r = await run(['build', 'repo/gen', '-k', 'key.txt'], { cwd: dir });
    expect(r.status).toBe(0);
    const secret = docs(r.stdout)[0]!;
    expect(secret.metadata.name).toMatch(/^app-[a-z0-9]{10}$/);
    expect(secret.data).toEqual({ API_KEY: Buffer.from('generated-from-cli-5e1').toString('base64') });
  });

  it('exits non-zero with the agent’s message on what the agent refuses, printing nothing', async () => {
    const r = await run(['build', 'repo/bad'], { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('failed to build bad/kustomization.yaml: Helm chart inflation (helmCharts) is not supported');
  });

  it('refuses a Secret sealed by plain sops as the agent does, and with --allow-unbound prints it with a warning', async () => {
    const refused = await run(['build', '-k', 'key.txt', 'repo/legacy'], { cwd: dir });
    expect(refused.status).toBe(11);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/legacy\/db\.yaml carries no sealops\.dev\/scope binding/);
    const allowed = await run(['build', '-k', 'key.txt', '--allow-unbound', 'repo/legacy'], { cwd: dir });
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(docs(allowed.stdout)[0]?.data?.password).toBe(Buffer.from('legacy-pw-4410').toString('base64'));
    expect(allowed.stderr).toMatch(/sealops: warning: accepted unbound Secret .*\(Secret old\/legacy\) from legacy\/db\.yaml/);
    expect(refused.stderr + allowed.stderr).not.toContain('legacy-pw-4410');
  });
});
