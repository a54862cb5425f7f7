/**
 * A real headless Chromium (Debian's `chromium` package) for the status page's tests: the
 * serialized DOM after parsing (`--dump-dom`) and a screenshot (`--screenshot`).
 *
 * Chromium runs offline: every host name but the loopback address fails to resolve, so a page
 * that needed anything from outside would show it. It runs asynchronously, so a server in the
 * test's own process keeps answering; on a shared 2-core machine it is slow, hence the long
 * time limit (never a timing assertion).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerPath } from './peers.js';

/** Longest one Chromium run may take. */
const TIMEOUT_MS = 180_000;

function run(args: readonly string[], url: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'sealops-chromium-'));
  const flags = [
    '--headless',
    // Root in a container has no user namespace for the sandbox.
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--disable-background-networking',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    `--user-data-dir=${profile}`,
  ];
  return new Promise<string>((resolve, reject) => {
    execFile(peerPath('chromium'), [...flags, ...args, url], { timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, HOME: profile } }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`chromium failed on ${url}: ${err.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

/** The DOM Chromium built from `url`, serialized as HTML. */
export function dumpDom(url: string): Promise<string> {
  return run(['--dump-dom'], url);
}

/** A PNG screenshot of `url` at `width`×`height`, written to `file`; returns its bytes. */
export async function screenshot(url: string, file: string, width: number, height: number): Promise<Buffer> {
  await run([`--screenshot=${file}`, `--window-size=${width},${height}`, '--hide-scrollbars'], url);
  return readFileSync(file);
}

/** Width and height from a PNG's IHDR chunk; throws when `png` is not a PNG. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (png.length < 24 || !png.subarray(0, 8).equals(signature) || png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG file');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** A folder for test artifacts (screenshots) that outlives the test: under the temp dir, never in the repository. */
export function artifactDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `sealops-artifacts-${name}-`));
}
