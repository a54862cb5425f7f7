/**
 * `sealops build PATH`: prints what the agent would apply for PATH, through the agent's own
 * build and decrypt code. Sealed values are replaced by a fixed marker unless -k names a key;
 * anything the agent would refuse exits non-zero with the same message.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { formatManifests, renderLocal, UsageError } from '../../src/index.js';
import { collect, readNamed, warn, type CliIo } from '../io.js';

interface BuildOptions {
  substitute?: string[];
  substituteFrom?: string[];
  key?: string[];
  allowUnbound?: boolean;
}

/** Registers `sealops build`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('build')
    .description('render what the agent would apply for a folder (kustomize, post-build values, unsealing)')
    .argument('<PATH>', 'folder to build (a kustomization or plain manifests)')
    .option('--substitute <K=V>', 'post-build variable (repeatable)', collect)
    .option('--substitute-from <FILE>', 'ConfigMap or Secret manifest to read post-build variables from (repeatable)', collect)
    .option('-k, --key <KEY_FILE>', 'age identity or SealedSecret private key (repeatable); without it sealed values are redacted', collect)
    .option('--allow-unbound', 'accept SOPS Secrets without a sealops.dev/scope binding, as a Sync with spec.decryption.allowUnbound (warns on stderr)')
    .action(async (path: string, opts: BuildOptions) => {
      const substitute: Record<string, string> = {};
      for (const pair of opts.substitute ?? []) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new UsageError(`failed to parse arguments: --substitute expects K=V, got ${JSON.stringify(pair.slice(0, 40))}`);
        substitute[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      const rendered = await renderLocal({
        path: resolve(io.cwd, path),
        ...(opts.substitute ? { substitute } : {}),
        ...(opts.substituteFrom ? { substituteFrom: await readNamed(io, opts.substituteFrom) } : {}),
        keyFiles: await readNamed(io, opts.key ?? []),
        ...(opts.allowUnbound ? { allowUnbound: true, warn: (message: string) => warn(io, message) } : {}),
      });
      io.stdout.write(formatManifests(rendered.manifests));
    });
}
