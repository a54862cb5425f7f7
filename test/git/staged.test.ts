import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GitError } from '../../src/errors.js';
import { listIndexPaths, listStagedFiles, readObjectSizes, readObjects } from '../../src/git/staged.js';
import { listHistoryFiles, listWorkTreeFiles } from '../../src/git/tree.js';
import { cleanGitEnv, tempRepo, type TempRepo } from '../scan/samples.js';

let repo: TempRepo | undefined;
afterEach(() => repo?.remove());

function ctx(r: TempRepo, extra: NodeJS.ProcessEnv = {}) {
  return { cwd: r.dir, env: cleanGitEnv(extra) };
}

describe('staged files', () => {
  it('lists added files before the first commit, with their blob ids', async () => {
    repo = tempRepo();
    repo.write('a.yaml', 'a: 1\n');
    repo.write('dir/b c.yaml', 'b: 2\n');
    repo.git(['add', '.']);
    const staged = await listStagedFiles(ctx(repo));
    expect(staged.map((e) => [e.path, e.status])).toEqual([['a.yaml', 'A'], ['dir/b c.yaml', 'A']]);
    expect(staged[0]!.blob).toBe(repo.git(['rev-parse', ':a.yaml']).trim());
  });

  it('lists modified and renamed files and leaves out deleted ones', async () => {
    repo = tempRepo();
    repo.write('keep.yaml', 'k: 1\n');
    repo.write('old.yaml', 'o: 1\n');
    repo.write('gone.yaml', 'g: 1\n');
    repo.git(['add', '.']);
    repo.git(['commit', '-qm', 'base']);
    repo.write('keep.yaml', 'k: 2\n');
    repo.git(['mv', 'old.yaml', 'new.yaml']);
    repo.git(['rm', '-q', 'gone.yaml']);
    repo.git(['add', '.']);
    const staged = await listStagedFiles(ctx(repo));
    expect(staged.map((e) => [e.path, e.status])).toEqual([['keep.yaml', 'M'], ['new.yaml', 'A']]);
  });

  it('reads the index named by GIT_INDEX_FILE, as git does in a hook for commit -a and commit <path>', async () => {
    repo = tempRepo();
    repo.write('a.yaml', 'a: 1\n');
    repo.git(['add', '.']);
    repo.git(['commit', '-qm', 'base']);
    repo.write('a.yaml', 'a: 2\n');
    const alt = join(repo.dir, '.git', 'alt-index');
    repo.git(['read-tree', 'HEAD'], { env: { GIT_INDEX_FILE: alt } });
    repo.git(['add', 'a.yaml'], { env: { GIT_INDEX_FILE: alt } });
    expect(await listStagedFiles(ctx(repo))).toEqual([]);
    const staged = await listStagedFiles(ctx(repo, { GIT_INDEX_FILE: alt }));
    expect(staged.map((e) => e.path)).toEqual(['a.yaml']);
    const [obj] = await readObjects(ctx(repo, { GIT_INDEX_FILE: alt }), [':a.yaml']);
    expect(obj!.content!.toString()).toBe('a: 2\n');
    expect(await listIndexPaths(ctx(repo, { GIT_INDEX_FILE: alt }))).toEqual(['a.yaml']);
  });
});

describe('readObjects', () => {
  it('returns blobs by id and by :path in the order asked, marks missing ones, and withholds content over the cap', async () => {
    repo = tempRepo();
    repo.write('a.txt', 'hello\n');
    repo.write('big.txt', 'x'.repeat(100));
    repo.git(['add', '.']);
    const id = repo.git(['rev-parse', ':a.txt']).trim();
    const objs = await readObjects(ctx(repo), [':big.txt', id, ':nope.txt', ':a.txt'], 50);
    expect(objs.map((o) => [o.type, o.size, o.content?.toString()])).toEqual([
      ['blob', 100, undefined],
      ['blob', 6, 'hello\n'],
      ['missing', 0, undefined],
      ['blob', 6, 'hello\n'],
    ]);
  });

  it('reads object sizes in one batch, -1 for a missing object', async () => {
    repo = tempRepo();
    repo.write('a.txt', 'hello\n');
    repo.git(['add', '.']);
    const id = repo.git(['rev-parse', ':a.txt']).trim();
    expect(await readObjectSizes(ctx(repo), [id, '0'.repeat(40), id])).toEqual([6, -1, 6]);
  });

  it('fails with a GitError outside a repository', async () => {
    await expect(listStagedFiles({ cwd: '/', env: cleanGitEnv() })).rejects.toBeInstanceOf(GitError);
  });
});

describe('working tree and history', () => {
  it('lists tracked and untracked files but not ignored ones', async () => {
    repo = tempRepo();
    repo.write('.gitignore', 'ignored.yaml\n');
    repo.write('tracked.yaml', 't: 1\n');
    repo.git(['add', '.']);
    repo.write('untracked.yaml', 'u: 1\n');
    repo.write('ignored.yaml', 'i: 1\n');
    expect((await listWorkTreeFiles(ctx(repo))).sort()).toEqual(['.gitignore', 'tracked.yaml', 'untracked.yaml']);
  });

  it('lists every file version a range of commits added or changed, including a path that looks like a commit id', async () => {
    repo = tempRepo();
    const hexName = 'a'.repeat(40);
    repo.write('one.yaml', '1\n');
    repo.git(['add', '.']);
    repo.git(['commit', '-qm', 'c1']);
    const c1 = repo.git(['rev-parse', 'HEAD']).trim();
    repo.write('one.yaml', '2\n');
    repo.write(hexName, 'x\n');
    repo.git(['add', '.']);
    repo.git(['commit', '-qm', 'c2']);
    const c2 = repo.git(['rev-parse', 'HEAD']).trim();
    const all = await listHistoryFiles(ctx(repo), 'HEAD');
    expect(all.map((f) => [f.commit, f.path])).toEqual([
      [c2, hexName],
      [c2, 'one.yaml'],
      [c1, 'one.yaml'],
    ]);
    const range = await listHistoryFiles(ctx(repo), `${c1}..HEAD`);
    expect(range.map((f) => f.commit)).toEqual([c2, c2]);
    await expect(listHistoryFiles(ctx(repo), '--all')).rejects.toBeInstanceOf(GitError);
  });
});
