/**
 * vitest globalSetup of the `integration` project: one control plane per run, shared by every
 * test file, which isolate themselves by namespace (see kube.ts).
 *
 * Tests read `inject('kubeconfig')` (a file path). When the binaries are missing, CI fails the
 * run; elsewhere the run goes on with `kubeconfig` empty and `clusterUnavailable` holding the
 * reason, so cluster tests skip (kube.ts `describeWithCluster`) and the rest still runs.
 */
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { MissingControlPlaneError, onMissingControlPlane } from '../cluster/binaries.js';
import { startControlPlane, type ControlPlane } from '../cluster/control-plane.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the admin kubeconfig of the run's control plane; '' when there is none. */
    kubeconfig: string;
    /** Why there is no control plane ('' when there is one). */
    clusterUnavailable: string;
  }
}

let running: ControlPlane | undefined;

/** Starts the control plane and hands its kubeconfig to the tests. */
export async function setup(project: TestProject): Promise<void> {
  try {
    running = await startControlPlane();
  } catch (err) {
    if (err instanceof MissingControlPlaneError && onMissingControlPlane() === 'skip') {
      process.stderr.write(`\nsealops: skipping cluster tests: ${err.message}\n\n`);
      project.provide('kubeconfig', '');
      project.provide('clusterUnavailable', err.message);
      return;
    }
    throw err;
  }
  // The file lives in the control plane's temp folder and goes away with it.
  project.provide('kubeconfig', running.kubeconfigPath);
  project.provide('clusterUnavailable', '');
}

/** Stops the control plane and removes its temp folder. */
export async function teardown(): Promise<void> {
  const cp = running;
  running = undefined;
  await cp?.stop();
}
