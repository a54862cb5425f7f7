/** `sealops history SYNC`: the revisions a Sync applied, newest first (from status.history). */
import type { Command } from 'commander';
import { formatHistory, readSyncHistory, UsageError, type ObserveOutput } from '../../src/index.js';
import type { CliIo } from '../io.js';

interface HistoryCliOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  output: string;
}

const OUTPUTS: readonly ObserveOutput[] = ['table', 'json'];

/** Registers `sealops history`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('history')
    .description('show the revisions a Sync applied, newest first, with counts and digests')
    .argument('<SYNC>', 'name of the Sync')
    .option('-n, --namespace <NS>', "the Sync's namespace (default: the context's, else default)")
    .option('--kubeconfig <FILE>', 'kubeconfig file or list (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <NAME>', 'kubeconfig context to use (default: current-context)')
    .option('-o, --output <FORMAT>', 'table or json', 'table')
    .action(async (name: string, opts: HistoryCliOptions) => {
      if (!OUTPUTS.includes(opts.output as ObserveOutput)) throw new UsageError(`failed to parse arguments: --output must be one of ${OUTPUTS.join(', ')}`);
      const history = await readSyncHistory({
        name,
        ...(opts.namespace ? { namespace: opts.namespace } : {}),
        ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
        ...(opts.context ? { context: opts.context } : {}),
        env: io.env,
      });
      io.stdout.write(formatHistory(history, opts.output as ObserveOutput));
    });
}
