/**
 * What to do about each rule, printed under a finding. The secret itself is never part of it.
 */
import type { Finding } from '../findings.js';

/** The fix for `f`, naming the file it is in. */
export function fixFor(f: Finding): string {
  const file = /\s/.test(f.path) ? `'${f.path}'` : f.path;
  switch (f.rule) {
    case 'secret-plaintext-data':
    case 'secret-plaintext-stringdata':
    case 'secret-invalid-data':
    case 'sops-unencrypted-value':
    case 'sealedsecret-plaintext-template':
      return `sealops seal --in-place ${file}`;
    case 'sops-malformed':
    case 'sops-mac':
    case 'sops-metadata':
    case 'sops-no-recipients':
      return `re-seal the file from its plaintext with sealops seal --in-place ${file} (a hand-edited SOPS file cannot be verified)`;
    case 'sealedsecret-malformed':
      return `re-seal the value with sealops seal --format sealedsecret (or kubeseal) and replace ${file}`;
    case 'kustomize-literal':
      return 'move the literal into an env file, seal it (sops --encrypt --in-place FILE; Flux decrypts it before the build), and list it under envs:';
    case 'kustomize-unsealed-file':
      return 'seal the named file (sops --encrypt --in-place FILE; Flux decrypts it before the build)';
    case 'secret-last-applied':
      return `delete the kubectl.kubernetes.io/last-applied-configuration annotation from ${file} (sealops seal removes it), and rotate the values it exposed`;
    case 'file-too-large':
      return `keep large files out of the repository (git LFS), or allow this one by adding its fingerprint to .sealopsignore after review`;
    case 'parse-error':
      return `fix the syntax of ${file}; if it is meant to be that way, add its fingerprint to .sealopsignore`;
    default:
      return `remove it from ${file}, revoke and rotate the credential, and keep it in a sealed Secret (sealops seal)`;
  }
}
