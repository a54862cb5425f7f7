/**
 * `sealops status`: every Sync of one or several clusters, read-only: ready, the applied revision
 * against the head of its branch, last change, drift, health, key sets and agent version.
 * Exits 0 when every context answered, and with the Kubernetes error status when one did not
 * (its row says why; the others are still printed).
 */
import type { Command } from 'commander';
import { collectStatus, EXIT_CODES, formatStatus, UsageError, type ObserveOutput } from '../../src/index.js';
import { collect, warn, type CliIo } from '../io.js';

interface StatusCliOptions {
  kubeconfig?: string;
  context?: string[];
  allContexts?: boolean;
  namespace?: string;
  output: string;
}

const OUTPUTS: readonly ObserveOutput[] = ['table', 'json'];

/** Registers `sealops status`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('status')
    .description('show every Sync of one or several clusters: ready, revision vs git, drift, health, keys, agent version')
    .option('--kubeconfig <FILE>', 'kubeconfig file or list (default: $KUBECONFIG, ~/.kube/config)')
    .option('--context <NAME>', 'kubeconfig context to read (repeatable; default: current-context)', collect)
    .option('--all-contexts', 'read every context of the kubeconfig')
    .option('-n, --namespace <NS>', 'only Syncs of this namespace (default: all namespaces)')
    .option('-o, --output <FORMAT>', 'table or json', 'table')
    .action(async (opts: StatusCliOptions) => {
      if (!OUTPUTS.includes(opts.output as ObserveOutput)) throw new UsageError(`failed to parse arguments: --output must be one of ${OUTPUTS.join(', ')}`);
      if (opts.allContexts && opts.context?.length) throw new UsageError('failed to parse arguments: --all-contexts and --context exclude each other');
      const fleet = await collectStatus({
        ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
        ...(opts.context ? { contexts: opts.context } : {}),
        ...(opts.allContexts ? { allContexts: true } : {}),
        ...(opts.namespace ? { namespace: opts.namespace } : {}),
        env: io.env,
      });
      io.stdout.write(formatStatus(fleet, opts.output as ObserveOutput));
      for (const f of fleet.failures) warn(io, `context ${f.context}: ${f.error}`);
      if (fleet.failures.length) io.exitCode = EXIT_CODES.KUBE;
    });
}
