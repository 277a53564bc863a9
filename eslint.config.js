// Lint: typescript-eslint (type-aware) plus import restrictions that keep the layers apart.
// The layers, outermost first (an arrow means "may import"):
//   cmd → app → {backend, konnector, kubectl-bind} → {controllers, providers} → runtime → kube → apis
// and only src/kube may import the Kubernetes client library (see docs/architecture.md).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Restrict what files matching `files` may import. */
const layer = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});
const forbid = (group, message) => ({ group, message });

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

  // Only the kube layer talks to the Kubernetes client library and the HTTP transport.
  layer(
    ['src/**/*.ts'],
    [
      forbid(
        ['@kubernetes/client-node', 'undici'],
        'Only src/kube/ may use the Kubernetes client or transport.',
      ),
      forbid(['**/test/**'], 'Production code never imports the test harness.'),
    ],
  ),
  { files: ['src/kube/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },

  // The runtime and kube layers know nothing of kube-bind.
  layer(
    ['src/kube/**/*.ts', 'src/runtime/**/*.ts'],
    [
      forbid(
        ['**/backend/**', '**/konnector/**', '**/kubectl-bind/**', '**/providers/**', '**/apis/**'],
        'runtime/ and kube/ are generic: they must not depend on kube-bind code.',
      ),
    ],
  ),
  // Controllers never reach the HTTP front door or the login flow.
  layer(
    ['src/backend/controllers/**/*.ts'],
    [
      forbid(
        ['**/http/**', '**/auth/**', '**/session/**'],
        'Controllers must not import HTTP, auth or sessions.',
      ),
    ],
  ),
  // The HTTP layer reaches Kubernetes only through the binding service.
  layer(
    ['src/backend/http/**/*.ts'],
    [
      forbid(
        ['**/kube/**', '**/runtime/**', '**/controllers/**'],
        'HTTP handlers reach Kubernetes only through src/backend/binding/.',
      ),
    ],
  ),
  // The three programs are independent of each other.
  layer(
    ['src/konnector/**/*.ts', 'src/kubectl-bind/**/*.ts'],
    [forbid(['**/backend/**'], 'The consumer side must not depend on the backend.')],
  ),
  layer(
    ['src/backend/**/*.ts'],
    [
      forbid(
        ['**/konnector/**', '**/kubectl-bind/**'],
        'The backend must not depend on the consumer side.',
      ),
    ],
  ),

  // Tests and scripts may print.
  { files: ['test/**/*.ts', 'hack/**/*.ts', '**/*.test.ts'], rules: { 'no-console': 'off' } },
);
