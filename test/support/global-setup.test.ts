/**
 * The integration globalSetup when the control plane cannot be had: CI must fail the run,
 * a developer machine gets the reason and an empty kubeconfig so cluster tests skip.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setup } from './global-setup.js';

let empty: string;

/** A stand-in for vitest's TestProject that records what setup() provides. */
function recordingProject(): { project: TestProject; provided: Record<string, unknown> } {
  const provided: Record<string, unknown> = {};
  const project = { provide: (key: string, value: unknown) => (provided[key] = value) } as unknown as TestProject;
  return { project, provided };
}

beforeEach(() => {
  empty = mkdtempSync(join(tmpdir(), 'sealops-gs-test-'));
  // Nothing installed: no Go on PATH, an empty build cache, no envtest assets.
  vi.stubEnv('PATH', empty);
  vi.stubEnv('SEALOPS_CACHE', empty);
  vi.stubEnv('KUBEBUILDER_ASSETS', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(empty, { recursive: true, force: true });
});

describe('integration globalSetup without control-plane binaries', () => {
  it('fails the run on CI with the message naming both ways to get them', async () => {
    vi.stubEnv('CI', 'true');
    const { project, provided } = recordingProject();
    await expect(setup(project)).rejects.toThrow(/KUBEBUILDER_ASSETS.*install Go/s);
    expect(provided).toEqual({});
  });

  it('off CI, hands tests an empty kubeconfig and the reason, so cluster tests skip', async () => {
    vi.stubEnv('CI', '');
    const { project, provided } = recordingProject();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await setup(project);
    } finally {
      stderr.mockRestore();
    }
    expect(provided.kubeconfig).toBe('');
    expect(String(provided.clusterUnavailable)).toMatch(/npm run assets/);
  });
});
