/**
 * Build and decrypt, as one function: what the agent applies for a Sync, and what
 * `sealops build` prints for a folder. One code path, so the two cannot disagree.
 */
import { renderPath, type RenderInput } from '../build/render.js';
import type { Manifest } from '../build/index.js';
import { decryptManifests, type DecryptOptions } from './decrypt/index.js';

/** What a render produced. */
export interface Rendered {
  /** The objects to apply, unsealed (or redacted). */
  readonly manifests: Manifest[];
  /** Every plaintext value held in memory: redact every report against these. */
  readonly secrets: string[];
  /** Documents the plain-manifest reader skipped, with why. */
  readonly skipped: { file: string; doc: number; why: string }[];
  readonly unsealed: number;
  /** The kustomization built, when kustomize ran. */
  readonly kustomization?: string;
  /** Milliseconds spent in kustomize. */
  readonly kustomizeMs: number;
}

/** Renders `input` and unseals what it holds. Throws a SealopsError naming the file on any refusal. */
export async function renderSync(input: RenderInput, decrypt: DecryptOptions): Promise<Rendered> {
  const built = await renderPath(input);
  const decrypted = await decryptManifests(built, decrypt);
  return {
    manifests: decrypted.manifests,
    secrets: decrypted.secrets,
    skipped: built.skipped,
    unsealed: decrypted.unsealed,
    ...(built.kustomization ? { kustomization: built.kustomization } : {}),
    kustomizeMs: built.kustomizeMs,
  };
}
