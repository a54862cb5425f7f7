/**
 * `sealops keys reencrypt FILE… --url URL`: SealedSecrets re-encrypted to the newest cluster key
 * by the agent (the private key stays in the cluster), each value in the scope it was sealed in;
 * files rewritten atomically once all succeeded.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { bearerTokenOf, reencryptInputs, IoError, UsageError } from '../../src/index.js';
import { readInputs, writeResults, type CliIo } from '../io.js';
import { note } from '../output.js';

interface ReencryptOptions {
  url?: string;
  tokenFile?: string;
  caFile?: string;
  kubeconfig?: string;
  context?: string;
}

function readText(file: string, io: CliIo, what: string): string {
  try {
    return readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (err) {
    throw new IoError(`failed to read ${what} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'unreadable'}`);
  }
}

/** Adds `reencrypt` to the `keys` command group. */
export function registerKeysReencrypt(keys: Command, io: CliIo): void {
  keys
    .command('reencrypt')
    .description('re-encrypt SealedSecrets to the newest cluster key through the agent (POST /v1/rotate); every value keeps its scope')
    .argument('<FILE...>', 'SealedSecret files, rewritten in place')
    .requiredOption('--url <URL>', "the agent's endpoint (https, or http on loopback via kubectl port-forward)")
    .option('--token-file <FILE>', 'bearer token allowed `create syncs/reencrypt` (default: the kubeconfig context\'s token, or $SEALOPS_TOKEN)')
    .option('--ca-file <FILE>', 'CA certificate of an https agent')
    .option('--kubeconfig <FILE>', 'kubeconfig to take the token from')
    .option('--context <NAME>', 'kubeconfig context to take the token from')
    .action(async (files: string[], opts: ReencryptOptions) => {
      if (files.includes('-')) throw new UsageError('failed to parse arguments: keys reencrypt rewrites FILEs in place; stdin is not supported');
      const token = opts.tokenFile ? readText(opts.tokenFile, io, 'token file').trim() : (io.env.SEALOPS_TOKEN ?? (await bearerTokenOf({ kubeconfig: opts.kubeconfig, context: opts.context, env: io.env })));
      const ca = opts.caFile ? readText(opts.caFile, io, 'CA file') : undefined;
      const results = await reencryptInputs(await readInputs(files, io), { url: opts.url!, token, ...(ca ? { ca } : {}) });
      writeResults(results, true, io);
      for (const r of results) note(io, `re-encrypted ${r.input.source} to the newest cluster key`);
    });
}
