/**
 * How the harness finds (or fails to find) the control-plane binaries. Each case builds its
 * own environment (PATH, KUBEBUILDER_ASSETS, SEALOPS_CACHE) over empty temp folders, so the
 * machine's real binaries and Go toolchain play no part.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MissingControlPlaneError,
  ensureControlPlane,
  hasGo,
  locateControlPlane,
  onMissingControlPlane,
} from './binaries.js';

let root: string;

/** A folder holding executable stand-ins named `names` (only their paths are checked here). */
function binDir(name: string, names: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const n of names) {
    writeFileSync(join(dir, n), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, n), 0o755);
  }
  return dir;
}

/** An environment where nothing is installed: empty PATH folder, empty cache, no assets. */
function bareEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: binDir('empty-path', []), SEALOPS_CACHE: join(root, 'empty-cache'), ...extra };
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sealops-bin-test-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('locateControlPlane', () => {
  it('uses KUBEBUILDER_ASSETS when it holds both etcd and kube-apiserver', () => {
    const assets = binDir('assets', ['etcd', 'kube-apiserver']);
    const found = locateControlPlane(bareEnv({ KUBEBUILDER_ASSETS: assets }));
    expect(found?.etcd).toBe(join(assets, 'etcd'));
    expect(found?.kubeApiserver).toBe(join(assets, 'kube-apiserver'));
    expect(found?.kubeControllerManager).toBeUndefined();
  });

  it('ignores a KUBEBUILDER_ASSETS folder missing kube-apiserver and falls back to the build cache', () => {
    const assets = binDir('assets', ['etcd']);
    const cache = join(root, 'cache');
    binDir('cache/bin', ['etcd', 'kube-apiserver', 'kube-controller-manager']);
    const found = locateControlPlane(bareEnv({ KUBEBUILDER_ASSETS: assets, SEALOPS_CACHE: cache }));
    expect(found?.etcd).toBe(join(cache, 'bin', 'etcd'));
    expect(found?.kubeControllerManager).toBe(join(cache, 'bin', 'kube-controller-manager'));
  });

  it('finds nothing when neither the assets, the cache nor PATH hold the binaries', () => {
    expect(locateControlPlane(bareEnv())).toBeUndefined();
  });

  it('does not count a file that is not executable', () => {
    const cache = join(root, 'cache');
    binDir('cache/bin', ['etcd', 'kube-apiserver']);
    chmodSync(join(cache, 'bin', 'kube-apiserver'), 0o644);
    expect(locateControlPlane(bareEnv({ SEALOPS_CACHE: cache }))).toBeUndefined();
  });
});

describe('ensureControlPlane', () => {
  it('reuses the build cache without building (this env has no Go, so a build would throw)', async () => {
    const cache = join(root, 'cache');
    binDir('cache/bin', ['etcd', 'kube-apiserver']);
    const found = await ensureControlPlane(bareEnv({ SEALOPS_CACHE: cache }));
    expect(found.kubeApiserver).toBe(join(cache, 'bin', 'kube-apiserver'));
  });

  it('without Go or KUBEBUILDER_ASSETS, fails with a message naming both ways to get the binaries', async () => {
    const env = bareEnv();
    expect(hasGo(env)).toBe(false);
    const err = await ensureControlPlane(env).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MissingControlPlaneError);
    const message = (err as Error).message;
    expect(message).toContain('KUBEBUILDER_ASSETS is not set');
    expect(message).toMatch(/set KUBEBUILDER_ASSETS to a folder with etcd and kube-apiserver/);
    expect(message).toMatch(/install Go .*`npm run assets`/);
    expect(message).toContain(join(root, 'empty-cache', 'bin'));
  });

  it('says when KUBEBUILDER_ASSETS is set but incomplete', async () => {
    const assets = binDir('assets', ['kube-apiserver']);
    const err = (await ensureControlPlane(bareEnv({ KUBEBUILDER_ASSETS: assets })).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`KUBEBUILDER_ASSETS=${assets} does not hold both etcd and kube-apiserver`);
  });
});

describe('hasGo', () => {
  it('sees an executable go on PATH', () => {
    expect(hasGo({ PATH: binDir('go-path', ['go']) })).toBe(true);
  });
});

describe('onMissingControlPlane', () => {
  it('fails on CI and skips elsewhere', () => {
    expect(onMissingControlPlane({ CI: 'true' })).toBe('fail');
    expect(onMissingControlPlane({ CI: '1' })).toBe('fail');
    expect(onMissingControlPlane({})).toBe('skip');
    expect(onMissingControlPlane({ CI: 'false' })).toBe('skip');
  });
});
