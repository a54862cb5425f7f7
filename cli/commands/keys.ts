/**
 * `sealops keys …`: the key lifecycle of a cluster. Private keys stay in the cluster: `rotate`
 * asks the agent for a new set, `retire` deletes one nothing needs, `fetch` writes public keys
 * into `.sealops.yaml`, `backup` / `restore` move every set as one age-encrypted file. Each
 * subcommand is defined by its own function below.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import {
  backupKeySets,
  DEFAULT_AGENT_NAMESPACE,
  fetchClusterKeys,
  findConfigFile,
  KubeError,
  loadKubeConfig,
  withKubeClient,
  type KubeClient,
  requestKeyRotation,
  restoreKeySets,
  retireKeySet,
  UsageError,
  describeError as describe,
} from '../../src/index.js';
import { collect, readAll, type CliIo } from '../io.js';
import { note, warn } from '../output.js';
import { keysFor } from '../keys.js';
import { registerKeysList } from './keys-list.js';
import { registerKeysReencrypt } from './keys-reencrypt.js';

interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
  namespace: string;
}

function clusterOptions(c: Command): Command {
  return c
    .option('--kubeconfig <FILE>', 'kubeconfig file or list (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <NAME>', 'kubeconfig context to use (default: current-context)')
    .option('--namespace <NS>', "the agent's namespace, where the key sets live", DEFAULT_AGENT_NAMESPACE);
}

async function withClient<T>(opts: ClusterOptions, io: CliIo, fn: (client: KubeClient) => Promise<T>): Promise<T> {
  let conn: ReturnType<typeof loadKubeConfig>;
  try {
    conn = loadKubeConfig({ kubeconfig: opts.kubeconfig, context: opts.context, env: io.env });
  } catch (err) {
    throw new KubeError(`failed to load kubeconfig: ${describe(err)}`, { cause: err });
  }
  return withKubeClient(conn, fn);
}

/** `sealops keys fetch --cluster NAME [--context CTX | --url URL] [--config FILE]`. */
function fetchCommand(keys: Command, io: CliIo): void {
  clusterOptions(
    keys
      .command('fetch')
      .description("write a cluster's newest public keys into .sealops.yaml (recipients, certificate file, keySet, previous and retired keys); no private key is touched")
      .requiredOption('--cluster <NAME>', 'the cluster entry of .sealops.yaml to write')
      .option('--url <URL>', "read the keys from the agent's HTTP endpoint (GET /v1/keysets) instead of the cluster API")
      .option('--config <FILE>', 'the .sealops.yaml to write (default: the nearest one up from here, else ./.sealops.yaml)'),
  ).action(async (opts: ClusterOptions & { cluster: string; url?: string; config?: string }) => {
    if (opts.url && opts.context) throw new UsageError('failed to parse arguments: give --context or --url, not both');
    const configFile = opts.config ? resolve(io.cwd, opts.config) : findConfigFile(io.cwd);
    const result = opts.url
      ? await fetchClusterKeys({ url: opts.url }, configFile, opts.cluster)
      : await withClient(opts, io, (client) => fetchClusterKeys({ client, namespace: opts.namespace }, configFile, opts.cluster));
    note(io, `wrote cluster ${opts.cluster} (key set ${result.keySet}, ${result.recipients.length} recipient(s), ${result.previous.length} previous and ${result.retired.length} retired key(s)) to ${result.configFile}`);
    if (result.certificateFile) note(io, `wrote certificate ${result.certificateFile}`);
  });
}

/** `sealops keys rotate [--context CTX]`. */
function rotateCommand(keys: Command, io: CliIo): void {
  clusterOptions(
    keys
      .command('rotate')
      .description('ask the agent to make a new key set now (generated in the cluster) and wait until it is published; old sets keep decrypting')
      .option('--timeout <SECONDS>', 'how long to wait for the agent', '120'),
  ).action(async (opts: ClusterOptions & { timeout: string }) => {
    const seconds = Number(opts.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError('failed to parse --timeout: give a number of seconds');
    const set = await withClient(opts, io, (client) => requestKeyRotation(client, opts.namespace, { timeoutMs: seconds * 1000 }));
    io.stdout.write(`${set.fingerprint}\n`);
    note(io, 'new key set published; run `sealops keys fetch` and `sealops rekey --all` to seal for it');
  });
}

/** `sealops keys retire FINGERPRINT [--context CTX] [--force]`. */
function retireCommand(keys: Command, io: CliIo): void {
  clusterOptions(
    keys
      .command('retire')
      .description("delete an old key set's private keys; refused while any Sync's status.keysInUse lists it")
      .argument('<FINGERPRINT>', 'the key set (ks-…)')
      .option('--force', 'retire even when a Sync still needs it, or it is the active set'),
  ).action(async (fingerprint: string, opts: ClusterOptions & { force?: boolean }) => {
    if (!/^ks-[0-9a-f]{16}$/.test(fingerprint)) throw new UsageError(`failed to parse FINGERPRINT ${JSON.stringify(fingerprint)}: expected ks- and 16 hex digits`);
    const result = await withClient(opts, io, (client) => retireKeySet(client, opts.namespace, fingerprint, { force: opts.force === true }));
    if (result.neededBy.length > 0) warn(io, `retired although still in use by Sync ${result.neededBy.join(', ')}`);
    note(io, `retired key set ${result.fingerprint} (deleted secret ${result.secret}); its public keys stay listed as retired`);
  });
}

/** `sealops keys backup --to RECIPIENT… [--context CTX] > backup.age`. */
function backupCommand(keys: Command, io: CliIo): void {
  clusterOptions(
    keys
      .command('backup')
      .description('write every key set of the cluster to stdout, encrypted to age recipients (safe to store anywhere), and record the backup on the cluster')
      .requiredOption('--to <RECIPIENT>', 'administrator age recipient (repeatable)', collect),
  ).action(async (opts: ClusterOptions & { to: string[] }) => {
    const result = await withClient(opts, io, (client) => backupKeySets(client, opts.namespace, opts.to));
    io.stdout.write(result.armored);
    note(io, `backed up ${result.fingerprints.length} key set(s): ${result.fingerprints.join(', ')}`);
  });
}

/** `sealops keys restore [-k ADMIN_KEY] [--force] < backup.age`. */
function restoreCommand(keys: Command, io: CliIo): void {
  clusterOptions(
    keys
      .command('restore')
      .description('recreate the key sets of a backup (stdin) in the cluster; never replaces a different set without --force')
      .option('-k, --key <KEY_FILE>', 'administrator age identity the backup was made for (repeatable; default $SEALOPS_KEY_FILE)', collect)
      .option('--force', 'replace a Secret of the same name holding a different set'),
  ).action(async (opts: ClusterOptions & { key?: string[]; force?: boolean }) => {
    const ring = await keysFor(opts.key, io);
    const input = await readAll(io.stdin);
    if (input.length === 0) throw new UsageError('failed to read backup: stdin is empty', { hint: 'sealops keys restore -k admin.txt < backup.age' });
    const result = await withClient(opts, io, (client) => restoreKeySets(client, opts.namespace, input, ring.ageIdentities, { force: opts.force === true }));
    for (const fp of result.created) note(io, `restored key set ${fp}`);
    for (const fp of result.replaced) note(io, `replaced key set ${fp}`);
    for (const fp of result.unchanged) note(io, `key set ${fp} already present`);
  });
}

/** Registers `sealops keys` and its subcommands. */
export function register(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('the key lifecycle of a cluster: fetch, list, rotate, retire, backup, restore, reencrypt');
  fetchCommand(keys, io);
  registerKeysList(keys, io);
  rotateCommand(keys, io);
  retireCommand(keys, io);
  backupCommand(keys, io);
  restoreCommand(keys, io);
  registerKeysReencrypt(keys, io);
}
