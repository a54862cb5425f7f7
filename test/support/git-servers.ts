/**
 * Real git servers for tests, on loopback: a bare repository with a working clone to commit
 * from, served over smart HTTP (`git http-backend` behind a Node server with basic-auth
 * tokens), over SSH (`sshd` with a deploy key and a known_hosts file) and as `file://`.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir, userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { freePort, sleep, spawnLogged, stopProcess, tailLog, type LoggedProcess } from '../cluster/process.js';
import { peerPath } from './peers.js';

/** Environment for git commands run by the helpers: no user config, fixed identity, no prompts. */
export function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'sealops test',
    GIT_AUTHOR_EMAIL: 'test@sealops.invalid',
    GIT_COMMITTER_NAME: 'sealops test',
    GIT_COMMITTER_EMAIL: 'test@sealops.invalid',
    ...extra,
  };
}

/** The arguments for an error message, with any `user:token@` in a URL masked. */
function shown(args: string[]): string {
  return args.map((a) => a.replace(/\/\/([^/:@]+):[^/@]*@/, '//$1:***@')).join(' ');
}

/** Runs git in `cwd` and returns its trimmed stdout; throws with stderr on failure. */
export function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = gitEnv()): string {
  try {
    return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`failed to run git ${shown(args)}: ${e.stderr?.trim() || e.message}`);
  }
}

/**
 * Runs git asynchronously. Use it for anything that talks to {@link serveHttp}: that server
 * runs in this process, so a synchronous git call would block the very loop that must answer.
 */
export function gitAsync(cwd: string, args: string[], env: NodeJS.ProcessEnv = gitEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`failed to run git ${shown(args)}: ${stderr.trim() || err.message}`));
      else resolve(stdout.trim());
    });
  });
}

/** A bare repository with a working clone that pushes to it. */
export interface TestRepo {
  /** The bare repository (what the servers serve). */
  bareDir: string;
  /** The working clone used by {@link TestRepo.commitFiles}. */
  workDir: string;
  /** The branch commits go to (default `main`). */
  branch: string;
  /**
   * Writes (string) or deletes (null) files relative to the repository root, commits them and
   * pushes to the bare repository. Returns the new commit's sha.
   */
  commitFiles(files: Record<string, string | Buffer | null>, message?: string): string;
  /** The sha the branch of the bare repository points at. */
  head(): string;
  /** Removes both folders. */
  cleanup(): void;
}

/** Creates an empty bare repository (`<tmp>/srv/repo.git`) and a working clone of it. */
export function createRepo(options: { branch?: string; name?: string } = {}): TestRepo {
  const branch = options.branch ?? 'main';
  const root = mkdtempSync(join(tmpdir(), 'sealops-git-'));
  const bareDir = join(root, 'srv', `${options.name ?? 'repo'}.git`);
  const workDir = join(root, 'work');
  mkdirSync(bareDir, { recursive: true });
  git(bareDir, ['init', '--quiet', '--bare', `--initial-branch=${branch}`]);
  mkdirSync(workDir);
  git(workDir, ['init', '--quiet', `--initial-branch=${branch}`]);
  git(workDir, ['remote', 'add', 'origin', bareDir]);
  return {
    bareDir,
    workDir,
    branch,
    commitFiles(files, message = 'test commit') {
      for (const [path, content] of Object.entries(files)) {
        const full = join(workDir, path);
        if (content === null) rmSync(full, { force: true });
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, content);
        }
      }
      git(workDir, ['add', '--all']);
      git(workDir, ['commit', '--quiet', '--allow-empty', '-m', message]);
      git(workDir, ['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
      return git(workDir, ['rev-parse', 'HEAD']);
    },
    head: () => git(bareDir, ['rev-parse', `refs/heads/${branch}`]),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A running git server. */
export interface GitServer {
  /** Clone URL (credentials not included). */
  url: string;
  /** Stops the server; the repository stays. */
  stop(): Promise<void>;
}

/**
 * Lets clients fetch with a partial-clone filter (`--filter=blob:limit=…`), as GitHub and GitLab
 * do; git's own default is to ignore filters.
 */
function allowFilters(bareDir: string): void {
  git(bareDir, ['config', 'uploadpack.allowFilter', 'true']);
}

/** The `file://` transport: nothing runs, the URL names the bare repository. */
export function serveFile(bareDir: string): GitServer {
  allowFilters(bareDir);
  return { url: `file://${bareDir}`, stop: () => Promise.resolve() };
}

/** A smart-HTTP git server and the basic-auth credentials it accepts. */
export interface HttpGitServer extends GitServer {
  /** User name to send (any name is accepted with the right token). */
  username: string;
  /** The token (basic-auth password). */
  token: string;
  /** `url` with `username:token@` in it, for plain `git clone`. */
  urlWithCredentials: string;
  /** How many requests were answered, by status (e.g. to see that a fetch happened). */
  requests: { status: number; path: string }[];
}

function credentialsMatch(header: string | undefined, token: string): string | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const given = Buffer.from(decoded.slice(colon + 1));
  const want = Buffer.from(token);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
  return decoded.slice(0, colon) || 'git';
}

/** Runs `git http-backend` as a CGI for one request and streams its answer back. */
function runHttpBackend(
  backend: string,
  projectRoot: string,
  user: string,
  req: IncomingMessage,
  res: ServerResponse,
  done: (status: number) => void,
): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    // With REMOTE_USER set, http-backend allows receive-pack (push) too.
    REMOTE_USER: user,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    // git gzips large request bodies; http-backend inflates them when told.
    HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
    // Protocol v2 negotiation travels in the Git-Protocol header, passed CGI-style.
    HTTP_GIT_PROTOCOL: (req.headers['git-protocol'] as string | undefined) ?? '',
  };
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  const child = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  let head = Buffer.alloc(0);
  let headersSent = false;
  let status = 200;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    let end = head.indexOf('\r\n\r\n');
    let sep = 4;
    if (end < 0) {
      end = head.indexOf('\n\n');
      sep = 2;
    }
    if (end < 0) return;
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    headersSent = true;
    const rest = head.subarray(end + sep);
    if (rest.length) res.write(rest);
  });
  child.stderr.on('data', () => undefined);
  child.on('close', () => {
    if (!headersSent) res.writeHead(502).end('git http-backend gave no answer');
    else res.end();
    done(headersSent ? status : 502);
  });
}

/**
 * Serves `bareDir` over smart HTTP at `http://127.0.0.1:PORT/<name>.git`. Every request must
 * carry basic auth whose password is `token` (generated unless given); others get 401.
 */
export async function serveHttp(bareDir: string, options: { token?: string; username?: string } = {}): Promise<HttpGitServer> {
  allowFilters(bareDir);
  const token = options.token ?? randomBytes(16).toString('hex');
  const username = options.username ?? 'sealops';
  const projectRoot = dirname(bareDir);
  const requests: { status: number; path: string }[] = [];
  const backend = join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const user = credentialsMatch(req.headers.authorization, token);
    if (!user) {
      requests.push({ status: 401, path });
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="sealops-test"' }).end('authentication required\n');
      return;
    }
    runHttpBackend(backend, projectRoot, user, req, res, (status) => requests.push({ status, path }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const name = basename(bareDir);
  return {
    url: `http://127.0.0.1:${port}/${name}`,
    urlWithCredentials: `http://${encodeURIComponent(username)}:${encodeURIComponent(token)}@127.0.0.1:${port}/${name}`,
    username,
    token,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An SSH git server with the deploy key that may read it. */
export interface SshGitServer extends GitServer {
  /** Path of the deploy key (OpenSSH private key, no passphrase). */
  privateKeyPath: string;
  /** known_hosts file naming the server's host key for `[127.0.0.1]:PORT`. */
  knownHostsPath: string;
  /** The port sshd listens on. */
  port: number;
  /** A `GIT_SSH_COMMAND` that uses the deploy key and checks the host key strictly. */
  sshCommand: string;
  /** Generates another key pair (not authorized) and returns its private key path. */
  strangerKey(): string;
}

/** Running sshd processes: a test runner that dies without stop() must not leave them listening. */
const liveSshd = new Set<LoggedProcess>();
process.on('exit', () => {
  for (const proc of liveSshd) if (!proc.hasExited()) proc.child.kill('SIGKILL');
});

function sshKeygen(path: string, comment: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { stdio: 'ignore' });
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

/**
 * Serves `bareDir` over SSH: `sshd` on a free loopback port with its own host key and config,
 * accepting only a freshly generated deploy key for the current user. The URL is
 * `ssh://USER@127.0.0.1:PORT/abs/path/to/repo.git`.
 */
export async function serveSsh(bareDir: string): Promise<SshGitServer> {
  const sshd = peerPath('sshd');
  const dir = mkdtempSync(join(tmpdir(), 'sealops-sshd-'));
  chmodSync(dir, 0o700);
  const hostKey = join(dir, 'host_ed25519');
  const hostPub = sshKeygen(hostKey, 'sealops-test-host');
  const deployKey = join(dir, 'deploy_ed25519');
  const deployPub = sshKeygen(deployKey, 'sealops-test-deploy');
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, `${deployPub}\n`, { mode: 0o600 });
  // sshd refuses to start without its privilege-separation folder (created by the package's
  // service unit, which does not run here).
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const user = userInfo().username;
  const startOnce = async (): Promise<{ port: number; proc: ReturnType<typeof spawnLogged> }> => {
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `ListenAddress 127.0.0.1:${port}`,
        `HostKey ${hostKey}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        `AllowUsers ${user}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        // Temp folders are not owned the way StrictModes wants; the key file itself is 0600.
        'StrictModes no',
        'PidFile none',
        'LogLevel VERBOSE',
        'AllowTcpForwarding no',
        'X11Forwarding no',
        'PermitTTY no',
        'PrintMotd no',
        '',
      ].join('\n'),
    );
    const proc = spawnLogged('sshd', sshd, ['-D', '-e', '-f', config], join(dir, 'sshd.log'));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.hasExited()) {
        throw new Error(`failed to start sshd: it exited (${String(await proc.exited)})\n${tailLog(proc.logFile)}`);
      }
      if (readFileSync(proc.logFile, 'utf8').includes('Server listening')) return { port, proc };
      if (Date.now() > deadline) {
        await stopProcess(proc);
        throw new Error(`failed to start sshd: not listening in time\n${tailLog(proc.logFile)}`);
      }
      await sleep(50);
    }
  };
  let started;
  try {
    started = await startOnce();
  } catch {
    // The free port may have been taken between the probe and sshd's bind: try once more.
    writeFileSync(join(dir, 'sshd.log'), '');
    started = await startOnce();
  }
  const { port, proc } = started;
  liveSshd.add(proc);
  const knownHostsPath = join(dir, 'known_hosts');
  const [type, key] = hostPub.split(' ');
  writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${type} ${key}\n`);
  const sshCommand = [
    'ssh',
    `-i ${deployKey}`,
    '-o IdentitiesOnly=yes',
    `-o UserKnownHostsFile=${knownHostsPath}`,
    '-o StrictHostKeyChecking=yes',
    '-o BatchMode=yes',
    '-o LogLevel=ERROR',
  ].join(' ');
  let strangers = 0;
  return {
    url: `ssh://${user}@127.0.0.1:${port}${bareDir}`,
    port,
    privateKeyPath: deployKey,
    knownHostsPath,
    sshCommand,
    strangerKey() {
      const path = join(dir, `stranger_${++strangers}`);
      sshKeygen(path, 'sealops-test-stranger');
      unlinkSync(`${path}.pub`);
      return path;
    },
    async stop() {
      liveSshd.delete(proc);
      await stopProcess(proc, 5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Bytes of every regular file under `dir` (e.g. a repository's `objects` folder), 0 if absent. */
export function folderBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}
