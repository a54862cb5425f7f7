/**
 * `sealops diff --from REF [--to REF] [PATH]`: what a pull request changes, per object and per
 * secret key, never a value. `sealops diff --live [PATH]`: what the agent would write into a
 * cluster, by its own server-side dry-run, and what prune would delete. Exit 0 without changes,
 * 1 with changes, 2 on any error (the statuses `kubectl diff` and `flux diff` use, so a CI step
 * can tell them apart).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DIFF_EXIT, diffLive, diffRevisions, formatDiff, formatError, UsageError, type DiffOutput, type RevisionDiff } from '../../src/index.js';
import { collect, readNamed, type CliIo } from '../io.js';
import { paintError } from '../output.js';

interface DiffOptions {
  from?: string;
  to?: string;
  live?: boolean;
  kubeconfig?: string;
  context?: string;
  sync?: string;
  key?: string[];
  output: string;
}

const OUTPUTS: readonly DiffOutput[] = ['text', 'markdown', 'json'];

function parseSync(text: string | undefined): { namespace: string; name: string } | undefined {
  if (text === undefined) return undefined;
  const m = /^([a-z0-9][-a-z0-9.]*)\/([a-z0-9][-a-z0-9.]*)$/.exec(text);
  if (!m) throw new UsageError(`failed to parse arguments: --sync expects NAMESPACE/NAME, got ${JSON.stringify(text.slice(0, 80))}`);
  return { namespace: m[1]!, name: m[2]! };
}

async function run(path: string | undefined, opts: DiffOptions, io: CliIo): Promise<RevisionDiff> {
  if (!OUTPUTS.includes(opts.output as DiffOutput)) throw new UsageError(`failed to parse arguments: --output must be one of ${OUTPUTS.join(', ')}`);
  if (opts.live) {
    if (opts.from || opts.to) throw new UsageError('failed to parse arguments: --live compares with a cluster; --from and --to compare revisions');
    const sync = parseSync(opts.sync);
    return diffLive({
      path: resolve(io.cwd, path ?? '.'),
      pathLabel: path ?? '.',
      kube: { ...(opts.kubeconfig ? { kubeconfig: resolve(io.cwd, opts.kubeconfig) } : {}), ...(opts.context ? { context: opts.context } : {}), env: io.env },
      ...(sync ? { sync } : {}),
      keyFiles: await readNamed(io, opts.key ?? []),
    });
  }
  if (!opts.from) throw new UsageError('failed to parse arguments: give --from REF (a revision diff) or --live (against a cluster)');
  if (opts.kubeconfig || opts.context || opts.sync || opts.key) throw new UsageError('failed to parse arguments: --kubeconfig, --context, --sync and -k go with --live');
  return diffRevisions({ git: { cwd: io.cwd, env: io.env }, from: opts.from, ...(opts.to ? { to: opts.to } : {}), ...(path ? { path } : {}) });
}

/** Registers `sealops diff`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('diff')
    .description('show what changes between two git revisions, or between git and a cluster (--live), per object and per secret key (exit 0: none, 1: changes, 2: error)')
    .argument('[PATH]', 'folder to build, as the agent would (default: the repository root; with --live the current folder)')
    .option('--from <REF>', 'the base revision (e.g. origin/main)')
    .option('--to <REF>', 'the revision under review (default: the working tree)')
    .option('--live', "compare with the cluster: the agent's server-side dry-run against the live objects, and what prune would delete")
    .option('--kubeconfig <FILE>', 'with --live: kubeconfig file or list (default: $KUBECONFIG, ~/.kube/config)')
    .option('--context <NAME>', 'with --live: kubeconfig context (default: current-context)')
    .option('--sync <NS/NAME>', 'with --live: the Sync whose spec and inventory apply (default: the only Sync of the cluster)')
    .option('-k, --key <KEY_FILE>', 'with --live: age identity or SealedSecret private key (repeatable); Secrets are then compared in memory, otherwise by the digests the agent recorded', collect)
    .option('-o, --output <FORMAT>', 'text, markdown (a pull-request comment) or json', 'text')
    .action(async (path: string | undefined, opts: DiffOptions) => {
      try {
        const diff = await run(path, opts, io);
        io.stdout.write(formatDiff(diff, opts.output as DiffOutput));
        io.exitCode = diff.objects.length ? DIFF_EXIT.CHANGES : DIFF_EXIT.NO_CHANGES;
      } catch (err) {
        // 1 means "changes": every error, whatever its class, is 2 here.
        io.stderr.write(paintError(io, formatError(err).text));
        io.exitCode = DIFF_EXIT.ERROR;
      }
    });
}
