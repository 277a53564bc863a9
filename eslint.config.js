// Lint: typescript-eslint (type-aware) plus import restrictions that keep the layers apart.
// The layers, outermost first (an arrow means "may import"):
//   cmd → app → {backend, konnector, kubectl-bind} → {controllers, providers} → runtime → kube → apis
// and only src/kube may import the HTTP transport (see docs/architecture.md).
// Import cycles, which a per-file rule cannot see, are refused by hack/check-cycles.ts.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';

/**
 * The layer rules, one row each: the folders a rule covers (with everything below them), the
 * folders below those it does not cover, the imports it forbids and why.
 *
 * Flat config gives a file the rule options of the LAST entry that matches it, so two
 * `no-restricted-imports` entries for overlapping folders do not add up: the later one silently
 * replaces the earlier. `layerEntries` therefore turns this table into one entry per folder that
 * holds every row reaching that folder. hack/lint-layers.test.ts tries each row.
 */
const layers = [
  {
    // Removed on purpose (src/kube/transport.ts says why); a package name covers its subpaths
    // too (`undici/types`). Tests may still use it as an HTTP client.
    folders: ['src'],
    forbid: ['undici'],
    message:
      "undici's WebAssembly parser costs every process ~23 MiB; src/kube/transport.ts talks " +
      "HTTP on Node's own agents.",
  },
  {
    // Removed on purpose; this row keeps it from coming back unnoticed (src/kube included).
    folders: ['src', 'test', 'bench', 'hack'],
    forbid: ['@kubernetes/client-node'],
    message:
      '@kubernetes/client-node costs every process ~50 MiB at import; src/kube/config.ts reads ' +
      'kubeconfigs and src/kube/client.ts talks to the API server.',
  },
  {
    folders: ['src'],
    forbid: ['**/test/**'],
    message: 'Production code never imports the test harness.',
  },
  {
    folders: ['src/kube', 'src/runtime', 'src/cli'],
    forbid: [
      '**/backend/**',
      '**/konnector/**',
      '**/kubectl-bind/**',
      '**/providers/**',
      '**/apis/**',
    ],
    message: 'runtime/, kube/ and cli/ are generic: they must not depend on kube-bind code.',
  },
  {
    folders: ['src/backend/controllers'],
    forbid: ['**/http/**', '**/auth/**', '**/session/**'],
    message: 'Controllers must not import HTTP, auth or sessions.',
  },
  {
    folders: ['src/backend/http'],
    forbid: ['**/kube/**', '**/runtime/**', '**/controllers/**'],
    message: 'HTTP handlers reach Kubernetes only through src/backend/binding/.',
  },
  {
    folders: ['src/konnector', 'src/kubectl-bind'],
    forbid: ['**/backend/**'],
    message: 'The consumer side must not depend on the backend.',
  },
  {
    folders: ['src/backend'],
    forbid: ['**/konnector/**', '**/kubectl-bind/**'],
    message: 'The backend must not depend on the consumer side.',
  },
];

/** Whether `folder` is `ancestor` or lies below it. */
const within = (folder, ancestor) => folder === ancestor || folder.startsWith(`${ancestor}/`);

/**
 * One `no-restricted-imports` entry per folder named in the table, holding every row that covers
 * it. Shallow folders come first, so a deeper folder's entry (which repeats its ancestors' rows)
 * is the one that wins for its files.
 */
const layerEntries = (table) => {
  const folders = [...new Set(table.flatMap((row) => [...row.folders, ...(row.except ?? [])]))];
  folders.sort((a, b) => a.split('/').length - b.split('/').length);
  return folders.map((folder) => {
    const rows = table.filter(
      (row) =>
        row.folders.some((f) => within(folder, f)) &&
        !(row.except ?? []).some((f) => within(folder, f)),
    );
    const patterns = rows.map((row) => ({ group: row.forbid, message: row.message }));
    return {
      files: [`${folder}/**/*.ts`],
      rules: { 'no-restricted-imports': patterns.length ? ['error', { patterns }] : 'off' },
    };
  });
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'test-artifacts/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // `() => counter.inc()` and `(x) => set.add(x)` are clearer than braces.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },

  ...layerEntries(layers),

  // Tests and scripts may print.
  { files: ['test/**/*.ts', 'hack/**/*.ts', '**/*.test.ts'], rules: { 'no-console': 'off' } },

  // ---- Web UI (web/) ----------------------------------------------------------------------
  // The browser app. vue-eslint-parser reads .vue files and hands <script lang="ts"> to
  // typescript-eslint, so the type-aware rules above cover components too (vue-tsc checks the
  // templates' types).
  ...pluginVue.configs['flat/recommended'].map((config) => ({
    ...config,
    files: ['web/**/*.vue'],
  })),
  {
    files: ['web/**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: {
        parser: tseslint.parser,
        extraFileExtensions: ['.vue'],
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    // Every layout rule of the plugin: Prettier owns layout (it writes `<input />`, for one).
    rules: Object.fromEntries(
      Object.entries(pluginVue.rules)
        .filter(([, rule]) => rule.meta?.type === 'layout')
        .map(([name]) => [`vue/${name}`, 'off']),
    ),
  },
  // An ES import of a Node.js builtin builds its namespace from every export, which runs each
  // lazy getter: node:http's WebSocket loads Node's bundled undici (+14 MiB resident), node:fs's
  // promises loads fs/promises and readline, node:util's parseArgs, diff, … their modules (≈3 MiB).
  // process.getBuiltinModule returns the CommonJS exports, so only what is used loads.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['node:http', 'node:fs', 'node:util', 'node:process'].map((name) => ({
            name,
            allowTypeImports: true,
            message: `Take ${name} with process.getBuiltinModule('${name}'): an ES import loads every lazy export.`,
          })),
        },
      ],
    },
  },
  // The page runs in the browser. It shares the backend's API types, but no code of src/ (which
  // would end up in the bundle): imports from there must be type-only.
  {
    files: ['web/src/**/*.{ts,vue}'],
    languageOptions: { globals: globals.browser },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/**'],
              allowTypeImports: true,
              message: 'The web UI imports only types from src/ (use `import type`).',
            },
          ],
        },
      ],
    },
  },
  // ---- end of the web UI block ------------------------------------------------------------
);
