/**
 * `sealops install [--export] [--image REF] [--namespace NS]` and `sealops uninstall`: apply, print
 * or remove the manifests of deploy/ (the same objects as `kubectl apply -k deploy/`).
 */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { exportManifests, installManifests, installToCluster, uninstallFromCluster, type InstallResult } from '../../src/index.js';

interface TargetOptions {
  kubeconfig?: string;
  context?: string;
  image?: string;
  namespace?: string;
}

function target(opts: TargetOptions, io: CliIo): { kubeconfig?: string; context?: string; env: NodeJS.ProcessEnv } {
  return { kubeconfig: opts.kubeconfig, context: opts.context, env: io.env };
}

function print(io: CliIo, results: readonly InstallResult[]): void {
  for (const r of results) io.stdout.write(`${r.object} ${r.action}\n`);
}

/** Registers `sealops install` and `sealops uninstall`. */
export function register(program: Command, io: CliIo): void {
  const common = (c: Command): Command =>
    c
      .option('--kubeconfig <FILE>', 'kubeconfig file or list (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
      .option('--context <NAME>', 'kubeconfig context to use (default: current-context)')
      .option('--namespace <NS>', "the agent's namespace", 'sealops-system');
  common(
    program
      .command('install')
      .description('Install or upgrade the agent, its CRD and RBAC (the objects of `kubectl apply -k deploy/`); --export prints them instead.')
      .option('--export', 'print the manifests as YAML instead of applying them')
      .option('--image <REF>', 'agent image (default: the one deploy/kustomization.yaml pins)'),
  ).action(async (opts: TargetOptions & { export?: boolean }) => {
    const options = { image: opts.image, namespace: opts.namespace };
    if (opts.export) {
      io.stdout.write(exportManifests(installManifests(options)));
      return;
    }
    print(io, await installToCluster(target(opts, io), options));
  });
  common(
    program
      .command('uninstall')
      .description('Remove the agent and its RBAC. Keeps the Syncs, what they applied, and the namespace with the keys Secret unless asked.')
      .option('--prune', 'also delete every object the Syncs applied (those still carrying their ownership labels)')
      .option('--crds', 'also delete the Sync CRD, and with it every Sync')
      .option('--delete-namespace', "also delete the agent's namespace, and with it the cluster keys"),
  ).action(async (opts: TargetOptions & { prune?: boolean; crds?: boolean; deleteNamespace?: boolean }) => {
    print(io, await uninstallFromCluster(target(opts, io), { namespace: opts.namespace, pruneSyncs: opts.prune, deleteCrds: opts.crds, deleteNamespace: opts.deleteNamespace }));
  });
}
