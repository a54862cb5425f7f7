// A throwaway git repository for the diff tests, driven by the real git CLI.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1' };

/** A repository in a temp folder, with helpers to write files and commit them. */
export interface TestRepo {
  readonly dir: string;
  git(...args: string[]): string;
  write(files: ReadonlyMap<string, string> | Record<string, string>): void;
  commit(message: string): string;
  cleanup(): void;
}

export function makeRepo(): TestRepo {
  const dir = mkdtempSync(join(tmpdir(), 'sealops-diff-repo-'));
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, env: { ...ENV, HOME: dir }, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  return {
    dir,
    git,
    write(files) {
      for (const [path, text] of files instanceof Map ? files : Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
    },
    commit(message) {
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD').trim();
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The environment the in-process CLI runs git with. */
export const gitEnv = (home: string): NodeJS.ProcessEnv => ({ ...ENV, HOME: home });
