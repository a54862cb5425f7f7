/**
 * The one lookup every test uses to find real binaries: where it looks, in which order, and
 * what it says when a binary is nowhere.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPeer, peerPath } from './peers.js';

let root: string;

function binDir(name: string, names: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const n of names) {
    writeFileSync(join(dir, n), '#!/bin/sh\n');
    chmodSync(join(dir, n), 0o755);
  }
  return dir;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sealops-peers-unit-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('findPeer', () => {
  it('prefers the build cache over PATH', () => {
    const cache = join(root, 'cache');
    binDir('cache/bin', ['sops']);
    const path = binDir('path', ['sops']);
    expect(findPeer('sops', { SEALOPS_CACHE: cache, PATH: path })).toBe(join(cache, 'bin', 'sops'));
    expect(findPeer('sops', { SEALOPS_CACHE: join(root, 'none'), PATH: path })).toBe(join(path, 'sops'));
  });

  it('looks in KUBEBUILDER_ASSETS for control-plane binaries only', () => {
    const assets = binDir('assets', ['etcd', 'sops']);
    const env = { KUBEBUILDER_ASSETS: assets, SEALOPS_CACHE: join(root, 'none'), PATH: binDir('empty', []) };
    expect(findPeer('etcd', env)).toBe(join(assets, 'etcd'));
    expect(findPeer('sops', env)).toBeUndefined();
  });
});

describe('peerPath', () => {
  const nowhere = (): NodeJS.ProcessEnv => ({ SEALOPS_CACHE: join(root, 'none'), PATH: binDir('empty', []) });

  it('names the build script for a missing Go-built peer', () => {
    expect(() => peerPath('kubeseal', nowhere())).toThrow(/failed to find kubeseal: .*`npm run assets` with Go installed/);
  });

  it('names the Debian package for a missing age', () => {
    expect(() => peerPath('age-keygen', nowhere())).toThrow(/apt-get install age/);
  });

  it('names both ways for a missing control-plane binary', () => {
    expect(() => peerPath('kube-apiserver', nowhere())).toThrow(/KUBEBUILDER_ASSETS .*setup-envtest.*npm run assets/);
  });
});
