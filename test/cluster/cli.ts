/**
 * `npm run cluster -- --kubeconfig FILE [--no-controller-manager]`: starts a throwaway control
 * plane, writes its admin kubeconfig to FILE, and stays up until SIGINT or SIGTERM, then stops
 * every process and removes its temp folder (and FILE, which would point at nothing).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MissingControlPlaneError } from './binaries.js';
import { startControlPlane } from './control-plane.js';

interface Args {
  kubeconfig: string;
  controllerManager: boolean;
}

function parseArgs(argv: string[]): Args {
  let kubeconfig: string | undefined;
  let controllerManager = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--kubeconfig') kubeconfig = argv[++i];
    else if (arg.startsWith('--kubeconfig=')) kubeconfig = arg.slice('--kubeconfig='.length);
    else if (arg === '--no-controller-manager') controllerManager = false;
    else throw new Error(`failed to parse arguments: unknown argument ${arg}`);
  }
  if (!kubeconfig) throw new Error('failed to parse arguments: --kubeconfig FILE is required');
  return { kubeconfig: resolve(kubeconfig), controllerManager };
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`cluster: ${(err as Error).message}\nusage: npm run cluster -- --kubeconfig FILE [--no-controller-manager]\n`);
    return 2;
  }
  // Handlers go in before anything starts: a signal during start-up must still stop etcd and
  // kube-apiserver and remove the temp folder, so it is remembered and honoured once start returns.
  const stopRequested = new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  const started = Date.now();
  let cp;
  try {
    cp = await startControlPlane({ controllerManager: args.controllerManager });
  } catch (err) {
    process.stderr.write(`cluster: ${(err as Error).message}\n`);
    return err instanceof MissingControlPlaneError ? 10 : 1;
  }
  writeFileSync(args.kubeconfig, cp.kubeconfig, { mode: 0o600 });
  process.stdout.write(
    `cluster: ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${cp.server}` +
      `${cp.controllerManager ? ' (with kube-controller-manager)' : ''}\n` +
      `cluster: logs and certificates in ${cp.dir}\n` +
      `cluster: kubeconfig written to ${args.kubeconfig}; stop with Ctrl-C\n`,
  );
  const signal = await stopRequested;
  process.stdout.write(`cluster: ${signal}, stopping\n`);
  await cp.stop();
  rmSync(args.kubeconfig, { force: true });
  return 0;
}

process.exitCode = await main();
