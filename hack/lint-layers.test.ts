// The layer rules of eslint.config.js, tried on imports placed in each layer: every rule refuses
// its forbidden import with its own message, and lets an allowed one through (so a rule that
// refused everything would fail here too). The files need not exist: ESLint lints the text as if
// it lived at `filePath`.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  // Type information is irrelevant to import rules and needs the files on disk.
  overrideConfig: [tseslint.configs.disableTypeChecked],
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
});

/** The messages of the import rules that refuse `import … from specifier` in `filePath`. */
async function refusals(filePath: string, specifier: string): Promise<string[]> {
  const code = `import { x } from '${specifier}';\nexport const y = x;\n`;
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.message);
}

const undici = "undici's WebAssembly parser costs every process ~23 MiB";
const clientNode = '@kubernetes/client-node costs every process ~50 MiB at import';
const harness = 'Production code never imports the test harness.';
const generic = 'runtime/, kube/ and cli/ are generic: they must not depend on kube-bind code.';
const controllers = 'Controllers must not import HTTP, auth or sessions.';
const http = 'HTTP handlers reach Kubernetes only through src/backend/binding/.';
const consumer = 'The consumer side must not depend on the backend.';
const backend = 'The backend must not depend on the consumer side.';

// [file, import, the one rule that refuses it]
const refused: [string, string, string][] = [
  ['src/backend/binding/service.ts', 'undici/types', undici],
  ['src/kube/transport.ts', 'undici', undici],
  ['src/konnector/cluster.ts', 'undici', undici],
  ['src/kube/config.ts', '@kubernetes/client-node', clientNode],
  ['src/konnector/cluster.ts', '@kubernetes/client-node/dist/gen/models/V1Pod.js', clientNode],
  ['test/harness/kubeconfig.ts', '@kubernetes/client-node', clientNode],
  ['src/providers/kcp/provider.ts', '../../../test/harness/kcp.ts', harness],
  ['src/kube/client.ts', '../../test/harness/kube-cluster.ts', harness],
  ['src/runtime/cache/store.ts', '../../apis/kubebind/types.gen.ts', generic],
  ['src/kube/resource.ts', '../providers/default/provider.ts', generic],
  ['src/cli/flags.ts', '../backend/options/options.ts', generic],
  ['src/backend/controllers/serviceexport/controller.ts', '../../http/server.ts', controllers],
  ['src/backend/controllers/cluster/controller.ts', '../../auth/oidc.ts', controllers],
  ['src/backend/controllers/cluster/controller.ts', '../../session/store.ts', controllers],
  ['src/backend/http/routes.ts', '../../kube/resource.ts', http],
  ['src/backend/http/bind/handler.ts', '../../controllers/cluster/decide.ts', http],
  ['src/backend/http/routes.ts', '../../runtime/manager.ts', http],
  ['src/konnector/sync/spec.ts', '../../backend/errors.ts', consumer],
  ['src/kubectl-bind/bind.ts', '../backend/http/wire.ts', consumer],
  ['src/backend/app/app.ts', '../../konnector/cluster.ts', backend],
  ['src/backend/controllers/cluster/controller.ts', '../../../kubectl-bind/bind.ts', backend],
];

// One allowed import per layer rule, from inside the layer it restricts.
const allowed: [string, string][] = [
  ['src/kube/transport.ts', 'node:https'],
  ['test/harness/kubeconfig.ts', 'yaml'],
  ['src/apis/kubebind/helpers.ts', 'yaml'],
  ['src/runtime/cache/reflector.ts', '../../kube/resource.ts'],
  ['src/cli/duration.ts', '../runtime/clock.ts'],
  ['src/kube/resource.ts', './errors.ts'],
  ['src/backend/controllers/cluster/controller.ts', '../../../runtime/controller/controller.ts'],
  ['src/backend/http/routes.ts', '../binding/service.ts'],
  ['src/konnector/sync/spec.ts', '../../apis/kubebind/types.gen.ts'],
  ['src/kubectl-bind/bind.ts', '../kube/resource.ts'],
  ['src/backend/app/app.ts', '../controllers/cluster/controller.ts'],
];

// The web UI's rule is typescript-eslint's variant (it can tell `import type` apart), so it gets
// its own linter: the one above sees only the core rule.
const webEslint = new ESLint({
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  overrideConfig: [tseslint.configs.disableTypeChecked],
  ruleFilter: ({ ruleId }) => ruleId === '@typescript-eslint/no-restricted-imports',
});

const webOnlyTypes = 'The web UI imports only types from src/ (use `import type`).';

/** The web rule's messages for `code` placed at `filePath` under web/src/. */
async function webRefusals(filePath: string, code: string): Promise<string[]> {
  const [result] = await webEslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.message);
}

const typesGen = '../../../src/apis/kubebind/types.gen.ts';
const valueImport = `import { isolationValues } from '${typesGen}';\nexport const y = isolationValues;\n`;
const typeImport = `import type { Isolation } from '${typesGen}';\nexport const y: Isolation = 'None';\n`;
const inlineTypeImport = `import { type Isolation } from '${typesGen}';\nexport const y: Isolation = 'None';\n`;
const vue = (script: string) =>
  `<script setup lang="ts">\n${script}</script>\n<template><p /></template>\n`;

describe('the web UI import rule', () => {
  it('refuses a value import from src/', async () => {
    expect(await webRefusals('web/src/lib/api.ts', valueImport)).toEqual([
      expect.stringContaining(webOnlyTypes),
    ]);
  });

  it('refuses it in a .vue file too', async () => {
    expect(await webRefusals('web/src/components/Panel.vue', vue(valueImport))).toEqual([
      expect.stringContaining(webOnlyTypes),
    ]);
  });

  it('lets type-only imports from src/ through', async () => {
    expect(await webRefusals('web/src/lib/api.ts', typeImport)).toEqual([]);
    expect(await webRefusals('web/src/lib/api.ts', inlineTypeImport)).toEqual([]);
    expect(await webRefusals('web/src/components/Panel.vue', vue(typeImport))).toEqual([]);
  });

  it('lets value imports from inside web/src through', async () => {
    const code = `import { x } from './urls.ts';\nexport const y = x;\n`;
    expect(await webRefusals('web/src/lib/api.ts', code)).toEqual([]);
  });
});

describe('layer import rules', () => {
  it.each(refused)('%s may not import %s', async (file, specifier, message) => {
    const messages = await refusals(file, specifier);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(message);
  });

  it.each(allowed)('%s may import %s', async (file, specifier) => {
    expect(await refusals(file, specifier)).toEqual([]);
  });

  it('adds up the rules of every layer a file belongs to', async () => {
    const messages = await refusals(
      'src/backend/http/routes.ts',
      '../../../test/harness/kube/konnector/client.ts',
    );
    expect(messages).toHaveLength(3);
    for (const message of [harness, http, backend]) {
      expect(messages.some((m) => m.includes(message))).toBe(true);
    }
  });
});

// The builtins rule shares the typescript-eslint variant (it tells `import type` apart).
describe('the rule against ES imports of costly builtins', () => {
  const http = `import { request } from 'node:http';\nexport const y = request;\n`;
  const httpType = `import type { IncomingMessage } from 'node:http';\nexport type Y = IncomingMessage;\n`;

  it('refuses a value import of node:http, node:fs, node:util or node:process in src/', async () => {
    for (const name of ['node:http', 'node:fs', 'node:util', 'node:process']) {
      const code = `import { x } from '${name}';\nexport const y = x;\n`;
      expect(await webRefusals('src/kube/transport.ts', code)).toEqual([
        expect.stringContaining(`process.getBuiltinModule('${name}')`),
      ]);
    }
  });

  it('lets type imports, other builtins and tests through', async () => {
    expect(await webRefusals('src/kube/transport.ts', httpType)).toEqual([]);
    const https = `import { request } from 'node:https';\nexport const y = request;\n`;
    expect(await webRefusals('src/kube/transport.ts', https)).toEqual([]);
    expect(await webRefusals('src/kube/transport.test.ts', http)).toEqual([]);
  });
});
