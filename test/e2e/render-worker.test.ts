// The build and decrypt stages in their worker thread (src/agent/offthread.ts), as the built
// agent runs them: the worker entry exists only in dist/, so this imports the build (npm test
// builds first). kustomize is the real binary; the sealed Secret is sealed by our SOPS writer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = (path: string): string => new URL(`../../dist/src/${path}`, import.meta.url).pathname;

type RenderModule = typeof import('../../src/agent/render.js');
type AgeModule = typeof import('../../src/crypto/age.js');
type SopsModule = typeof import('../../src/formats/sops/index.js');
let render: RenderModule;
let age: AgeModule;
let sops: SopsModule;
let work: string;

const file = (path: string, text: string): { path: string; content: Buffer } => ({ path, content: Buffer.from(text) });

/** One YAML document of `bytes` bytes whose parse needs hundreds of times its size (a flow sequence of one-character scalars). */
function amplifying(name: string, bytes: number): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\nitems: [${'0,'.repeat(bytes / 2)}0]\n`;
}

const PLAIN = [
  file('app/a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: app\ndata:\n  k: v\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: app\nspec:\n  ports: [{port: 80}]\n'),
  file('app/b.json', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"app"},"data":{"x":"y"}}'),
  file('app/notes/values.yaml', 'replicas: 3\n'),
];
const KUSTOMIZED = [
  ...PLAIN.map((f) => ({ ...f, path: f.path.replace('app/', 'base/') })),
  file('base/kustomization.yaml', 'resources: [a.yaml, b.json]\n'),
  file('overlay/kustomization.yaml', 'resources: [../base]\nnamePrefix: prod-\ncommonLabels: {tier: prod}\n'),
];

/** Counts turns of this thread's event loop while `work` runs: how many times a timer got to run. */
async function ticksDuring<T>(work: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const [result] = await Promise.allSettled([work()]);
  clearInterval(timer);
  return { result, ticks };
}

const offThread = (memoryMb?: number): { signal: AbortSignal; memoryMb?: number } => ({ signal: new AbortController().signal, ...(memoryMb ? { memoryMb } : {}) });

describe('the build and decrypt worker of the agent', () => {
  beforeAll(async () => {
    if (!existsSync(dist('agent/render-worker.js'))) throw new Error('failed to find dist/src/agent/render-worker.js: run npm run build first');
    render = (await import(dist('agent/render.js'))) as RenderModule;
    age = (await import(dist('crypto/age.js'))) as AgeModule;
    sops = (await import(dist('formats/sops/index.js'))) as SopsModule;
    work = mkdtempSync(join(tmpdir(), 'sealops-render-worker-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('builds a folder of plain manifests exactly as the inline stage does', async () => {
    const inline = await render.renderSync({ files: PLAIN, path: 'app' }, { keys: 'redact' });
    const worker = await render.renderSync({ files: PLAIN, path: 'app' }, { keys: 'redact' }, undefined, offThread());
    expect(worker.manifests.map((m) => m.object.metadata.name)).toEqual(['a', 's', 'b']);
    expect(worker.manifests).toEqual(inline.manifests);
    expect(worker.skipped).toEqual(inline.skipped);
  });

  it('builds a kustomization with the real kustomize run for the worker, exactly as inline', async () => {
    const inline = await render.renderSync({ files: KUSTOMIZED, path: 'overlay' }, { keys: 'redact' });
    const worker = await render.renderSync({ files: KUSTOMIZED, path: 'overlay' }, { keys: 'redact' }, undefined, offThread());
    expect(worker.kustomization).toBe('overlay/kustomization.yaml');
    expect(worker.manifests.map((m) => m.object.metadata.name).sort()).toEqual(['prod-a', 'prod-b', 'prod-s']);
    expect(worker.manifests).toEqual(inline.manifests);
  });

  it('keeps the build in the memo and decrypts from it on the next render without building again', async () => {
    const slot = {};
    const first = await render.renderSync({ files: KUSTOMIZED, path: 'overlay' }, { keys: 'redact' }, { key: 'k1', slot }, offThread());
    const again = await render.renderSync({ files: KUSTOMIZED, path: 'overlay' }, { keys: 'redact' }, { key: 'k1', slot }, offThread());
    expect(first.kustomizeMs).toBeGreaterThan(0);
    // Served by the memo: kustomize did not run again.
    expect(again.kustomizeMs).toBe(0);
    expect(again.manifests).toEqual(first.manifests);
  });

  it('unseals a SOPS Secret in the worker, asking this thread once for the keys', async () => {
    const key = await age.generateAgeKeyPair();
    const plain = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: app\nstringData:\n  password: worker-canary-value\n';
    const sealed = await sops.sealSops(plain, { recipients: [key.recipient], format: 'yaml' });
    let asked = 0;
    const keys = (): Promise<{ ageIdentities: string[]; rsaKeys: [] }> => {
      asked++;
      return Promise.resolve({ ageIdentities: [key.identity], rsaKeys: [] });
    };
    const r = await render.renderSync({ files: [...PLAIN, file('app/db.sops.yaml', sealed)], path: 'app' }, { keys, allowUnbound: true }, undefined, offThread());
    expect(asked).toBe(1);
    expect(r.unsealed).toBe(1);
    const secret = r.manifests.find((m) => m.object.kind === 'Secret')!.object as { data?: Record<string, string> };
    expect(Buffer.from(secret.data!.password!, 'base64').toString()).toBe('worker-canary-value');
    expect(r.secrets).toContain('worker-canary-value');
  });

  it('refuses a crafted 1 MiB fake SOPS Secret (no key needed to craft it) naming the file, while this thread keeps turning', async () => {
    // Issue #16, finding 2: such a file once took minutes of the agent's only thread. Its values
    // are copies of one real ciphertext under thousands of keys: they cannot authenticate.
    const key = await age.generateAgeKeyPair();
    const sealed = await sops.sealSops('apiVersion: v1\nkind: Secret\nmetadata:\n  name: fake\n  namespace: app\nstringData:\n  k0: some-value\n', { recipients: [key.recipient], format: 'yaml' });
    const value = /^ {2}k0: (ENC\[.*\])$/m.exec(sealed)![1]!;
    const lines: string[] = [];
    for (let i = 1, size = 0; size < 1024 * 1024; i++) {
      const line = `  k${i}: ${value}\n`;
      lines.push(line);
      size += line.length;
    }
    const fake = sealed.replace(/^( {2}k0: .*\n)/m, `$1${lines.join('')}`);
    const keys = (): Promise<{ ageIdentities: string[]; rsaKeys: [] }> => Promise.resolve({ ageIdentities: [key.identity], rsaKeys: [] });
    const files = [...PLAIN, file('app/fake.sops.yaml', fake)];
    const { result, ticks } = await ticksDuring(() => render.renderSync({ files, path: 'app' }, { keys }, undefined, offThread()));
    expect(result.status).toBe('rejected');
    expect(((result as PromiseRejectedResult).reason as Error).message).toMatch(/^failed to decrypt .*app\/fake\.sops\.yaml/);
    expect(ticks).toBeGreaterThan(0);
  });

  it('fails a file whose parse needs more memory than the cap with an InputError naming it, while this thread keeps turning, and renders again afterwards', async () => {
    const files = [...PLAIN, file('app/zz-crafted.yaml', amplifying('crafted', 2 * 1024 * 1024))];
    const { result, ticks } = await ticksDuring(() => render.renderSync({ files, path: 'app' }, { keys: 'redact' }, undefined, offThread(64)));
    expect(result.status).toBe('rejected');
    const err = (result as PromiseRejectedResult).reason as Error & { code?: string };
    expect(err.code).toBe('INPUT');
    expect(err.message).toBe('failed to build app/zz-crafted.yaml: reading it needs more memory than the 64 MiB the build may use');
    // The parse ran elsewhere: timers of this thread ran meanwhile.
    expect(ticks).toBeGreaterThan(0);
    const after = await render.renderSync({ files: PLAIN, path: 'app' }, { keys: 'redact' }, undefined, offThread(64));
    expect(after.manifests).toHaveLength(3);
  });

  it('fails a sealed file that builds within the cap but needs more to decrypt with a DecryptError naming the file and the Secret', async () => {
    const key = await age.generateAgeKeyPair();
    // 7,000 keys: built within 22 MiB, opened not (measured: the build fails at 16 MiB, decryption up to 28).
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\n  namespace: app\nstringData:\n${Array.from({ length: 7000 }, (_, i) => `  k${i}: value-${i}-${'x'.repeat(20)}\n`).join('')}`;
    const files = [...PLAIN, file('app/big.yaml', await sops.sealSops(secret, { recipients: [key.recipient] }))];
    const keys = (): Promise<{ ageIdentities: string[]; rsaKeys: [] }> => Promise.resolve({ ageIdentities: [key.identity], rsaKeys: [] });
    const err = await render.renderSync({ files, path: 'app' }, { keys }, undefined, offThread(22)).then(() => undefined, (e: unknown) => e as Error & { code?: string });
    expect(err?.code).toBe('DECRYPT');
    expect(err?.message).toBe('failed to decrypt app/big.yaml (Secret app/big): opening the sealed values needs more memory than the 22 MiB the build may use');
  });

  it('ends the render when its signal fires, killing kustomize, which runs on this thread', async () => {
    // A kustomize that never answers: the test is of the abort, so it only records its pid.
    const pidFile = join(work, 'kustomize.pid');
    const slow = join(work, 'slow-kustomize');
    writeFileSync(slow, `#!/bin/sh\necho $$ > ${pidFile}\nexec /bin/sleep 120\n`);
    chmodSync(slow, 0o755);
    const controller = new AbortController();
    const rendering = render.renderSync({ files: KUSTOMIZED, path: 'overlay', kustomize: { binary: slow } }, { keys: 'redact' }, undefined, { signal: controller.signal });
    const settled = rendering.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 20));
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    controller.abort(new Error('the reconcile deadline passed'));
    expect(await settled).toEqual(new Error('the reconcile deadline passed'));
    // The kustomize process is gone (signal 0 probes without signalling).
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive()).toBe(false);
  });
});
