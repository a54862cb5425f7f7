// Type-checked linting for the library, CLI and tests, and the layering of src/ (DESIGN.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers of src/, lowest first: a folder imports only from its own layer or lower ones.
// errors.ts and util/ import nothing of the project; crypto imports only errors.ts.
const LAYERS = [['errors', 'util'], ['crypto'], ['manifest'], ['formats'], ['keys', 'git', 'kube', 'build'], ['scan', 'operations'], ['agent'], ['server'], ['index']];

/**
 * One config block per folder and depth: a relative import that climbs out to a higher layer is an error.
 * @returns {import('eslint').Linter.Config[]}
 */
function layering() {
  /** @type {import('eslint').Linter.Config[]} */
  const blocks = [];
  LAYERS.forEach((layer, i) => {
    const higher = LAYERS.slice(i + 1).flat();
    const lower = new Set(LAYERS.slice(0, i + 1).flat());
    for (const dir of layer) {
      if (dir === 'errors' || dir === 'index') continue;
      for (let depth = 1; depth <= 4; depth++) {
        const up = '\\.\\./'.repeat(depth);
        const forbidden = dir === 'crypto' ? [...lower].filter((d) => d !== 'errors' && d !== 'crypto').concat(higher) : higher;
        if (forbidden.length === 0) continue;
        blocks.push({
          files: [`src/${dir}/${'*/'.repeat(depth - 1)}*.ts`],
          rules: {
            'no-restricted-imports': [
              'error',
              {
                patterns: [
                  {
                    regex: `^${up}(${forbidden.join('|')})(/|\\.js$)`,
                    message:
                      dir === 'crypto'
                        ? 'src/crypto imports nothing of the project but errors.ts (DESIGN.md, layout)'
                        : `src/${dir} must not import a higher layer (${forbidden.join(', ')}); see DESIGN.md, layout`,
                  },
                ],
              },
            ],
          },
        });
      }
    }
  });
  return blocks;
}

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'test/vectors/', 'bench/**/*.mjs', 'tools/**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  ...layering(),
  {
    // cli/ is a thin adapter over the public API. The entries (cli/guard.ts, the hook's fast
    // entry; cli/main.ts; cli/pipe.ts which both share) may load src/scan and src/errors.ts
    // directly: every start pays for what they load, and src/index.ts would load the library.
    files: ['cli/**/*.ts'],
    ignores: ['cli/guard.ts', 'cli/pipe.ts', 'cli/main.ts', 'cli/version.ts', 'cli/sealops.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+src/(?!index\\.js$)', message: 'cli/ imports only src/index.ts (DESIGN.md, layout)' }] }],
    },
  },
  {
    // The process entry: the version reader and the bulk-worker starter (Node built-ins only), not the library.
    files: ['cli/sealops.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+src/(?!operations/bulk-start\\.js$)', message: 'cli/sealops.ts loads only src/operations/bulk-start.ts' }] }] },
  },
  {
    // The `--version` fast path: the version reader alone, not the library.
    files: ['cli/version.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+src/(?!util/version\\.js$)', message: 'cli/version.ts loads only src/util/version.ts' }] }] },
  },
  {
    files: ['cli/guard.ts', 'cli/pipe.ts', 'cli/main.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(\\.\\./)+src/(?!index\\.js$|errors\\.js$|scan/index\\.js$)', message: 'the guard entry loads only src/scan and src/errors.ts' }] },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
