/**
 * `sealops keys list [PATH] [--check] [-o json] [--context CTX]…`: the keys of a repository and
 * of its clusters; with --check, the CI gate (exit 1 on any problem found).
 */
import type { Command } from 'commander';
import { EXIT_FINDINGS, formatKeysList, listKeys, UsageError } from '../../src/index.js';
import { collect, type CliIo } from '../io.js';

interface ListOptions {
  check?: boolean;
  output?: string;
  context?: string[];
  kubeconfig?: string;
  namespace?: string;
}

/** Adds `list` to the `keys` command group. */
export function registerKeysList(keys: Command, io: CliIo): void {
  keys
    .command('list')
    .description('every key of the repository (and of clusters with --context): fingerprint, age, use, files sealed to it; --check fails on problems')
    .argument('[PATH]', 'folder of the repository to read', '.')
    .option('--check', 'CI gate: exit 1 when a file cannot be opened by a cluster its rule picks, is sealed only to retired keys, a rule names an unknown cluster, or a key backup is stale')
    .option('-o, --output <FORMAT>', 'text or json', 'text')
    .option('--context <NAME>', 'also read the cluster side through this kubeconfig context (repeatable)', collect)
    .option('--kubeconfig <FILE>', 'kubeconfig file or list (default: $KUBECONFIG, ~/.kube/config)')
    .option('--namespace <NS>', "the agent's namespace", 'sealops-system')
    .action(async (path: string, opts: ListOptions) => {
      if (opts.output !== 'text' && opts.output !== 'json') throw new UsageError(`failed to parse arguments: -o must be text or json, not ${opts.output ?? ''}`);
      const report = await listKeys({ path, cwd: io.cwd, contexts: opts.context, kubeconfig: opts.kubeconfig, namespace: opts.namespace, env: io.env });
      io.stdout.write(opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatKeysList(report));
      if (opts.check && report.problems.length > 0) io.exitCode = EXIT_FINDINGS;
    });
}
