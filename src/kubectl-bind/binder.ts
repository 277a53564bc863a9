// What the plugin does with a BindingResponse (docs/protocol.md §6.4), for `apiservice` and for
// the UI-assisted `kubectl bind`:
//
//   consumer: namespace kube-bind; the provider kubeconfig in a Secret there (found by server and
//             namespace, else created with generateName kubeconfig-); the konnector;
//   provider: (with the kubeconfig's service-account token) each APIServiceExportRequest,
//             polled until Succeeded;
//   consumer: one cluster-scoped APIServiceBinding per request, pointing at the Secret.
//
// Both modes read the consumer cluster first and plan the steps from what they found (planBind);
// a real run executes that list, --dry-run prints it and changes nothing on either cluster, so
// the two cannot drift apart. Every step is create-or-reuse, so running the same binding again
// is a no-op that ends with the same Secret and binding.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { stringify } from 'yaml';
import { markFalse } from '../apis/kubebind/conditions.ts';
import * as kb from '../apis/kubebind/types.gen.ts';
import { KubeClient } from '../kube/client.ts';
import type { ClusterConnection } from '../kube/config.ts';
import { KubeconfigRejected, parseInlineKubeconfig } from '../kube/inline-kubeconfig.ts';
import { retryOnConflict } from '../kube/conflict.ts';
import { AlreadyExistsError, KubeApiError, ignoreNotFound } from '../kube/errors.ts';
import { ResourceClient } from '../kube/resource.ts';
import { patchStatusGuarded } from '../kube/status-patch.ts';
import { CustomResourceDefinitions, Namespaces, Secrets } from '../kube/resources.ts';
import { networkReason } from './client.ts';
import { CommandError, oneLine } from './errors.ts';
import { konnectorNamespace, konnectorObjects } from '../apis/kubebind/konnector-manifests.ts';
import {
  consumerCRDNames,
  decideKonnectorImage,
  deployKonnector,
  describeKonnector,
  grantKonnector,
  waitForBindingsAPI,
} from './konnector.ts';
import { rbacName } from '../apis/kubebind/konnector-rbac.ts';
import { ReadyCondition, providerKubeconfigLabel } from '../apis/kubebind/wire.ts';
import {
  kubeconfigTarget,
  pluginUserAgent,
  sameTarget,
  type ConsumerCluster,
  type ProviderTarget,
} from './kubeconfig.ts';
import { formatTable, humanDuration } from './list.ts';
import { byCodeUnits } from '../apis/order.ts';

export const kubeconfigKey = 'kubeconfig';

export interface BindSettings {
  skipKonnector: boolean;
  konnectorImage: string;
  /** Replace a running konnector newer than konnectorImage (upstream's --downgrade-konnector). */
  downgradeKonnector: boolean;
  dryRun: boolean;
  output: 'table' | 'json' | 'yaml';
  /** For the konnector and each export request; 0: no limit. */
  timeoutMs: number;
  timeoutText: string;
}

export interface BindIO {
  stdout(text: string): void;
  stderr(text: string): void;
  now(): number;
}

/** One export request of the response. */
export interface ResponseRequest {
  /** Empty: the provider named none (created with generateName `export-`). */
  name: string;
  spec: kb.APIServiceExportRequestSpec;
}

/** A BindingResponse that passed the checks of protocol.md §5.2. */
export interface CheckedResponse {
  /** As received. */
  document: Record<string, unknown>;
  /** The provider kubeconfig (YAML), decoded. */
  kubeconfig: string;
  /** Built from its allow-listed fields: the trusted-kubeconfig loader never reads it. */
  connection: ClusterConnection;
  provider: ProviderTarget;
  requests: ResponseRequest[];
}

/**
 * Checks a BindingResponse before anything is changed: `authentication.oauth2CodeGrant` is set,
 * `kubeconfig` is base64 of a kubeconfig with inline credentials only (src/kube's allow-list)
 * whose current context has a server and a namespace,
 * and every request is a `kube-bind.io/v1alpha2` APIServiceExportRequest with resources.
 */
export function checkBindingResponse(doc: unknown): CheckedResponse {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CommandError('unexpected response from the provider: not a BindingResponse object');
  }
  const response = doc as Record<string, unknown>;
  const auth = response['authentication'] as { oauth2CodeGrant?: unknown } | null | undefined;
  if (typeof auth?.oauth2CodeGrant !== 'object' || auth.oauth2CodeGrant === null) {
    throw new CommandError(
      'unexpected response from the provider: authentication.oauth2CodeGrant is missing',
    );
  }
  const encoded = response['kubeconfig'];
  if (typeof encoded !== 'string' || encoded.trim() === '') {
    throw new CommandError('unexpected response from the provider: it carries no kubeconfig');
  }
  const compact = encoded.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) {
    throw new CommandError('unexpected response from the provider: the kubeconfig is not base64');
  }
  const kubeconfig = Buffer.from(compact, 'base64').toString('utf8');
  // The provider's kubeconfig is read by an allow-list, before anything is changed or sent: an
  // exec user would run a command here, a token-file would send the user's own token.
  let parsed;
  try {
    parsed = parseInlineKubeconfig(kubeconfig);
  } catch (err) {
    if (!(err instanceof KubeconfigRejected)) throw err;
    throw new CommandError(
      `unexpected response from the provider: its kubeconfig is unusable: ${oneLine(err.message)}`,
    );
  }
  if (parsed.namespace === '') {
    throw new CommandError(
      "unexpected response from the provider: its kubeconfig's current context has no namespace",
    );
  }
  const rawRequests = response['requests'] ?? [];
  if (!Array.isArray(rawRequests)) {
    throw new CommandError('unexpected response from the provider: requests is not a list');
  }
  const requests = rawRequests.map((raw: unknown, i): ResponseRequest => {
    const request = (raw ?? {}) as {
      apiVersion?: unknown;
      kind?: unknown;
      metadata?: { name?: unknown };
      spec?: { resources?: unknown };
    };
    if (request.apiVersion !== kb.kubeBindAPIVersion) {
      throw new CommandError(
        `unexpected response from the provider: request ${i} has apiVersion ${quoted(request.apiVersion ?? '')}, want ${kb.kubeBindAPIVersion}`,
      );
    }
    if (request.kind !== undefined && request.kind !== 'APIServiceExportRequest') {
      throw new CommandError(
        `unexpected response from the provider: request ${i} is a ${quoted(request.kind)}, want an APIServiceExportRequest`,
      );
    }
    const name = request.metadata?.name ?? '';
    if (typeof name !== 'string' || !Array.isArray(request.spec?.resources)) {
      throw new CommandError(
        `unexpected response from the provider: request ${i} is not an APIServiceExportRequest (name and spec.resources)`,
      );
    }
    return { name, spec: request.spec as kb.APIServiceExportRequestSpec };
  });
  return {
    document: response,
    kubeconfig,
    connection: parsed.connection,
    provider: { server: parsed.server, namespace: parsed.namespace },
    requests,
  };
}

/** A value the provider sent, quoted for a message and cut to a line's worth. */
function quoted(value: unknown): string {
  // undefined has no JSON; the type does not say so.
  const text = (JSON.stringify(value) as string | undefined) ?? 'undefined';
  return text.length > maxQuotedChars ? `${text.slice(0, maxQuotedChars)}…` : text;
}

const maxQuotedChars = 80;

/** Binds the response into the consumer cluster (or, with --dry-run, says what that would do). */
export async function bindFromResponse(
  doc: unknown,
  consumer: ConsumerCluster,
  settings: BindSettings,
  io: BindIO,
): Promise<void> {
  const response = checkBindingResponse(doc);
  const { client } = consumer;
  const { provider } = response;
  if (!settings.dryRun) {
    io.stderr(
      `Binding into the consumer cluster ${consumer.description} from the provider ${provider.server}, namespace ${provider.namespace}.\n`,
    );
  }
  const findings = await gatherFindings(client, response, settings);
  const plan = planBind(response, findings);
  if (settings.dryRun) {
    // On stderr as in a real run (which prints it when it deploys); the plan names the image.
    if (findings.konnector?.note !== undefined) io.stderr(`${findings.konnector.note}\n`);
    printPlan(plan, response, consumer, settings, io);
    return;
  }
  const names = await runPlan(plan, { client, response, settings, io });
  if (response.requests.length === 0) {
    io.stderr('The provider sent no export requests: nothing to bind.\n');
    return;
  }
  io.stderr('\n');
  await printBindings(client, names, settings.output, io);
}

/** What a bind reads on the consumer cluster before it changes anything (both modes read it). */
export interface Findings {
  /** The Secret with this provider's kubeconfig, if one is stored already. */
  secret: Secret | undefined;
  namespaceExists: boolean;
  /** Undefined with --skip-konnector. */
  konnector?: { image: string; note?: string; missingCRDs: string[] };
  /** The requests' names that an APIServiceBinding (of this provider) already has. */
  boundNames: ReadonlySet<string>;
}

async function gatherFindings(
  client: KubeClient,
  response: CheckedResponse,
  settings: BindSettings,
): Promise<Findings> {
  // Before any change: a binding of the same name for another provider is an error.
  const secret = await step('looking for the provider kubeconfig on the consumer cluster', () =>
    findProviderSecret(client, response.provider),
  );
  await checkBindingConflicts(client, response.requests, secret?.metadata?.name);
  const namespace = await step('reading namespace kube-bind', () =>
    ignoreNotFound(new ResourceClient(client, Namespaces).get(konnectorNamespace)),
  );
  const boundNames = new Set<string>();
  const bindings = new ResourceClient(client, kb.APIServiceBindings);
  for (const { name } of response.requests) {
    if (name === '') continue;
    const existing = await step('reading APIServiceBindings', () =>
      ignoreNotFound(bindings.get(name)),
    );
    if (existing) boundNames.add(name);
  }
  return {
    secret,
    namespaceExists: namespace !== undefined,
    ...(!settings.skipKonnector && { konnector: await gatherKonnector(client, settings) }),
    boundNames,
  };
}

async function gatherKonnector(
  client: KubeClient,
  settings: BindSettings,
): Promise<NonNullable<Findings['konnector']>> {
  const crds = new ResourceClient(client, CustomResourceDefinitions);
  const missingCRDs: string[] = [];
  for (const name of consumerCRDNames()) {
    const crd = await step('reading the kube-bind.io CRDs', () => ignoreNotFound(crds.get(name)));
    if (!crd) missingCRDs.push(name);
  }
  const { image, note } = await step('reading the konnector Deployment', () =>
    decideKonnectorImage(client, settings.konnectorImage, settings.downgradeKonnector),
  );
  return { image, ...(note !== undefined && { note }), missingCRDs };
}

/** One step of a bind: the lines a dry run prints for it, and what a real run does. */
export interface BindStep {
  describe: readonly string[];
  run(context: RunContext, state: RunState): Promise<void>;
}

interface RunContext {
  client: KubeClient;
  response: CheckedResponse;
  settings: BindSettings;
  io: BindIO;
}

/** What a real run's steps hand on to later steps. */
interface RunState {
  /** The Secret holding the provider kubeconfig, once stored. */
  secretName: string;
  /** The client of the provider cluster, opened by the first step that needs it. */
  providerClient(): KubeClient;
  /** Per request: the name it got on the provider, and its binding on the consumer. */
  exported: Map<ResponseRequest, string>;
  bound: Map<ResponseRequest, kb.APIServiceBinding>;
  /** The bindings made, in order, for the final listing. */
  names: string[];
}

/**
 * The steps of a bind, from what was found: the one list that a real run executes and a dry run
 * prints, so the two cannot drift apart.
 */
export function planBind(response: CheckedResponse, findings: Findings): BindStep[] {
  const secretName = findings.secret?.metadata?.name ?? 'kubeconfig-<random>';
  return [
    ...(findings.namespaceExists ? [] : [namespaceStep]),
    secretStep(findings.secret, secretName),
    konnectorStep(findings.konnector),
    bindingsAPIStep,
    ...response.requests.flatMap((request) =>
      requestSteps(request, response.provider, secretName, findings.boundNames),
    ),
  ];
}

const namespaceStep: BindStep = {
  describe: [`create namespace ${konnectorNamespace}`],
  async run({ client, io }) {
    if (await step('creating namespace kube-bind', () => ensureNamespace(client))) {
      io.stderr(`Created namespace ${konnectorNamespace}.\n`);
    }
  },
};

function secretStep(found: Secret | undefined, secretName: string): BindStep {
  return {
    describe: [
      found
        ? `update secret ${konnectorNamespace}/${secretName} with the provider kubeconfig`
        : `create secret ${konnectorNamespace}/${secretName} (label ${providerKubeconfigLabel}=true) with the provider kubeconfig`,
    ],
    async run({ client, response, io }, state) {
      const secret = await step('storing the provider kubeconfig', () =>
        storeProviderSecret(client, found, response.kubeconfig),
      );
      state.secretName = secret.name;
      const { server, namespace } = response.provider;
      io.stderr(
        `${capitalize(secret.action)} secret ${konnectorNamespace}/${secret.name} for ${server}, namespace ${namespace}.\n`,
      );
    },
  };
}

function konnectorStep(konnector: Findings['konnector']): BindStep {
  if (konnector === undefined) {
    return {
      describe: ['not deploy the konnector (--skip-konnector)'],
      run: ({ io }) => {
        io.stderr('Not deploying the konnector (--skip-konnector).\n');
        return Promise.resolve();
      },
    };
  }
  const objects = describeKonnector(konnectorObjects({ image: konnector.image })).join(', ');
  const { missingCRDs } = konnector;
  return {
    describe: [
      `create or update the konnector (${konnector.image}): ${objects}`,
      ...(missingCRDs.length > 0 ? [`install the CRDs ${missingCRDs.join(', ')}`] : []),
    ],
    async run({ client, settings, io }) {
      // Decides the image again: the Deployment may have changed since it was read.
      const { image, note } = await step('deploying the konnector', () =>
        deployKonnector(client, settings.konnectorImage, settings.downgradeKonnector),
      );
      if (note !== undefined) io.stderr(`${note}\n`);
      io.stderr(`Deployed the konnector (${image}).\n`);
    },
  };
}

const bindingsAPIStep: BindStep = {
  describe: ['wait until APIServiceBindings can be listed'],
  async run({ client, settings, io }) {
    const served = await step('listing APIServiceBindings', () =>
      waitForBindingsAPI(client, settings.timeoutMs, () =>
        io.stderr('Waiting for the konnector to serve APIServiceBindings…\n'),
      ),
    );
    if (served) return;
    throw new CommandError(
      `APIServiceBindings cannot be listed on the consumer cluster after ${settings.timeoutText}: ` +
        (settings.skipKonnector
          ? 'their CRD is missing; deploy the konnector (run again without --skip-konnector)'
          : `is the konnector running? (kubectl -n ${konnectorNamespace} get pods)`),
    );
  },
};

/** Export on the provider, bind on the consumer, grant the konnector: one request's steps. */
function requestSteps(
  request: ResponseRequest,
  provider: ProviderTarget,
  secretName: string,
  boundNames: ReadonlySet<string>,
): BindStep[] {
  const name = request.name || 'export-<random>';
  const resources = request.spec.resources
    .map((r) => (r.group ? `${r.resource}.${r.group}` : r.resource))
    .join(', ');
  const secret = `secret ${konnectorNamespace}/${secretName}`;
  return [
    {
      describe: [
        `create APIServiceExportRequest ${name} for ${resources || 'no resources'} in namespace ${provider.namespace} on the provider and wait until it succeeds`,
      ],
      async run({ settings, io }, state) {
        const client = state.providerClient();
        state.exported.set(
          request,
          await exportOnProvider(client, provider, request, settings, io),
        );
      },
    },
    {
      describe: [
        boundNames.has(request.name)
          ? `keep APIServiceBinding ${name} (it already uses ${secret})`
          : `create APIServiceBinding ${name} with the kubeconfig of ${secret}`,
      ],
      async run({ client, io }, state) {
        const exported = state.exported.get(request) ?? '';
        state.bound.set(request, await ensureBinding(client, exported, state.secretName, io));
      },
    },
    {
      describe: [
        `grant the konnector what ${name} needs: ClusterRole and ClusterRoleBinding ${rbacName(name)}, owned by the binding`,
      ],
      async run({ client, io }, state) {
        const exported = state.exported.get(request) ?? '';
        const binding = state.bound.get(request);
        if (binding === undefined) throw new Error(`BUG: no binding for ${exported}`);
        const role = await step(`granting the konnector access for ${exported}`, () =>
          grantKonnector(client, binding, request),
        );
        io.stderr(`Granted the konnector what ${exported} needs (ClusterRole ${role}).\n`);
        state.names.push(exported);
      },
    },
  ];
}

/** Executes the plan, step by step; returns the names of the bindings made. */
async function runPlan(plan: readonly BindStep[], context: RunContext): Promise<string[]> {
  let providerClient: KubeClient | undefined;
  const state: RunState = {
    secretName: '',
    // The provider's server, named by its BindingResponse: bound what it may send back.
    providerClient: () =>
      (providerClient ??= new KubeClient(context.response.connection, {
        userAgent: pluginUserAgent,
        maxResponseBytes: 16 * 2 ** 20,
      })),
    exported: new Map(),
    bound: new Map(),
    names: [],
  };
  try {
    for (const planned of plan) await planned.run(context, state);
  } finally {
    await providerClient?.close();
  }
  return state.names;
}

function printPlan(
  plan: readonly BindStep[],
  response: CheckedResponse,
  consumer: ConsumerCluster,
  settings: BindSettings,
  io: BindIO,
): void {
  const { provider } = response;
  if (settings.output !== 'table') io.stdout(formatDocument(response.document, settings.output));
  const out = (text: string) => (settings.output === 'table' ? io.stdout(text) : io.stderr(text));
  const lines = plan.flatMap((planned) => planned.describe);
  out(
    `Dry run: nothing was changed on the consumer cluster ${consumer.description} or on the provider cluster ${provider.server}.\n` +
      `(The provider's backend prepared namespace ${provider.namespace} for this consumer when it answered.)\n` +
      `Without --dry-run, kubectl bind would:\n${lines.map((line) => `  - ${line}\n`).join('')}`,
  );
}

/** The Secret in kube-bind whose kubeconfig points at the same provider server and namespace. */
export async function findProviderSecret(
  client: KubeClient,
  provider: ProviderTarget,
): Promise<Secret | undefined> {
  const { items } = await new ResourceClient(client, Secrets, konnectorNamespace).listAll();
  const sorted = [...items].sort((a, b) =>
    byCodeUnits(a.metadata?.name ?? '', b.metadata?.name ?? ''),
  );
  return sorted.find((secret) => {
    const data = secret.data?.[kubeconfigKey];
    if (data === undefined) return false;
    try {
      return sameTarget(provider, kubeconfigTarget(Buffer.from(data, 'base64').toString('utf8')));
    } catch {
      return false;
    }
  });
}

/** Creates namespace kube-bind unless it exists; true if it was created. */
async function ensureNamespace(client: KubeClient): Promise<boolean> {
  const namespaces = new ResourceClient(client, Namespaces);
  if (await ignoreNotFound(namespaces.get(konnectorNamespace))) return false;
  try {
    await namespaces.create({ metadata: { name: konnectorNamespace } });
    return true;
  } catch (err) {
    if (err instanceof AlreadyExistsError) return false;
    throw err;
  }
}

/** Updates the found Secret (new token, label) or creates one; says which. */
async function storeProviderSecret(
  client: KubeClient,
  found: Secret | undefined,
  kubeconfig: string,
): Promise<{ name: string; action: 'created' | 'updated' | 'reusing' }> {
  const secrets = new ResourceClient(client, Secrets, konnectorNamespace);
  const data = Buffer.from(kubeconfig, 'utf8').toString('base64');
  const name = found?.metadata?.name;
  if (name === undefined) {
    const created = await secrets.create({
      metadata: {
        generateName: 'kubeconfig-',
        namespace: konnectorNamespace,
        labels: { [providerKubeconfigLabel]: 'true' },
      },
      type: 'Opaque',
      data: { [kubeconfigKey]: data },
    });
    return { name: created.metadata?.name ?? '', action: 'created' };
  }
  return retryOnConflict(async () => {
    const live = await secrets.get(name);
    const labels = live.metadata?.labels ?? {};
    if (live.data?.[kubeconfigKey] === data && labels[providerKubeconfigLabel] === 'true') {
      return { name, action: 'reusing' as const };
    }
    await secrets.update({
      ...live,
      metadata: { ...live.metadata, labels: { ...labels, [providerKubeconfigLabel]: 'true' } },
      data: { ...live.data, [kubeconfigKey]: data },
    });
    return { name, action: 'updated' as const };
  });
}

/** An APIServiceBinding named like a request that uses another Secret belongs to someone else. */
async function checkBindingConflicts(
  client: KubeClient,
  requests: readonly ResponseRequest[],
  secretName: string | undefined,
): Promise<void> {
  const bindings = new ResourceClient(client, kb.APIServiceBindings);
  for (const { name } of requests) {
    if (name === '') continue;
    const existing = await step('reading APIServiceBindings', () =>
      ignoreNotFound(bindings.get(name)),
    );
    if (existing) bindingConflict(existing, secretName);
  }
}

function bindingConflict(binding: kb.APIServiceBinding, secretName: string | undefined): void {
  const ref = binding.spec?.kubeconfigSecretRef;
  if (
    ref?.namespace === konnectorNamespace &&
    secretName !== undefined &&
    ref.name === secretName
  ) {
    return;
  }
  const uses = ref ? `secret ${ref.namespace}/${ref.name}` : 'no secret';
  throw new CommandError(
    `APIServiceBinding ${binding.metadata?.name ?? ''} already exists and is not from this provider (it uses ${uses}): choose another --name`,
  );
}

/**
 * Creates the request on the provider (an existing one with the same spec that has not failed is
 * reused: the same binding run again; another one of that name makes this one `<name>-<random>`)
 * and waits until it succeeds. Returns its name.
 */
async function exportOnProvider(
  provider: KubeClient,
  target: ProviderTarget,
  request: ResponseRequest,
  settings: BindSettings,
  io: BindIO,
): Promise<string> {
  const requests = new ResourceClient(provider, kb.APIServiceExportRequests, target.namespace);
  const what = `APIServiceExportRequest in namespace ${target.namespace} on the provider`;
  const create = (metadata: { name: string } | { generateName: string }) =>
    step(`creating the ${what}`, () => requests.create({ metadata, spec: request.spec }));
  let name: string;
  if (request.name === '') {
    name = (await create({ generateName: 'export-' })).metadata?.name ?? '';
    io.stderr(`Created ${what}: ${name}.\n`);
  } else {
    try {
      name =
        (await requests.create({ metadata: { name: request.name }, spec: request.spec })).metadata
          ?.name ?? request.name;
      io.stderr(`Created APIServiceExportRequest ${target.namespace}/${name} on the provider.\n`);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw wrap(`creating the ${what}`, err);
      const existing = await step(`reading the ${what}`, () =>
        ignoreNotFound(requests.get(request.name)),
      );
      if (existing && existing.status?.phase !== 'Failed' && covers(existing.spec, request.spec)) {
        name = request.name;
        io.stderr(`Reusing APIServiceExportRequest ${target.namespace}/${name} on the provider.\n`);
      } else {
        name = (await create({ generateName: `${request.name}-` })).metadata?.name ?? '';
        io.stderr(
          `APIServiceExportRequest ${request.name} exists with another spec; created ${target.namespace}/${name} on the provider.\n`,
        );
      }
    }
  }
  io.stderr(`Waiting for APIServiceExportRequest ${name} to succeed…\n`);
  await waitForRequest(requests, name, settings);
  io.stderr(`APIServiceExportRequest ${name} succeeded.\n`);
  return name;
}

/** Polls (every second) until the request is Succeeded; Failed, gone or the timeout end it. */
async function waitForRequest(
  requests: ResourceClient<kb.APIServiceExportRequest>,
  name: string,
  settings: Pick<BindSettings, 'timeoutMs' | 'timeoutText'>,
  intervalMs = 1000,
): Promise<void> {
  const deadline = Date.now() + settings.timeoutMs;
  for (;;) {
    const live = await step(`reading APIServiceExportRequest ${name} on the provider`, () =>
      ignoreNotFound(requests.get(name)),
    );
    if (!live) {
      throw new CommandError(
        `APIServiceExportRequest ${name} was deleted on the provider before it succeeded`,
      );
    }
    const phase = live.status?.phase ?? '';
    if (phase === 'Succeeded') return;
    if (phase === 'Failed') {
      const why = live.status?.terminalMessage ?? '';
      throw new CommandError(
        `the provider refused APIServiceExportRequest ${name}: ${why || 'it failed without a message'}`,
      );
    }
    if (settings.timeoutMs > 0 && Date.now() + intervalMs > deadline) {
      throw new CommandError(
        `timed out after ${settings.timeoutText} waiting for APIServiceExportRequest ${name} to succeed (phase ${phase || 'unset'}): is the provider's backend running?`,
      );
    }
    await sleep(intervalMs);
  }
}

/** Creates the APIServiceBinding `name` for the Secret, or reuses the one that already uses it. */
async function ensureBinding(
  client: KubeClient,
  name: string,
  secretName: string,
  io: BindIO,
): Promise<kb.APIServiceBinding> {
  const bindings = new ResourceClient(client, kb.APIServiceBindings);
  const existing = await step('reading APIServiceBindings', () =>
    ignoreNotFound(bindings.get(name)),
  );
  if (existing) {
    bindingConflict(existing, secretName);
    io.stderr(`Reusing APIServiceBinding ${name}.\n`);
    return existing;
  }
  let created: kb.APIServiceBinding;
  try {
    created = await bindings.create({
      metadata: { name },
      spec: {
        kubeconfigSecretRef: {
          name: secretName,
          namespace: konnectorNamespace,
          key: kubeconfigKey,
        },
      },
    });
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw wrap(`creating APIServiceBinding ${name}`, err);
    // Created meanwhile: fine if it is ours.
    const raced = await bindings.get(name);
    bindingConflict(raced, secretName);
    io.stderr(`Reusing APIServiceBinding ${name}.\n`);
    return raced;
  }
  // Best effort, as upstream: Ready=False (Pending) until the konnector reports.
  const conditions = markFalse([], ReadyCondition, 'Pending', 'Info', 'Pending', io.now());
  await patchStatusGuarded(bindings, created, { conditions }).catch(() => undefined);
  io.stderr(`Created APIServiceBinding ${name}.\n`);
  return created;
}

async function printBindings(
  client: KubeClient,
  names: readonly string[],
  output: BindSettings['output'],
  io: BindIO,
): Promise<void> {
  const bindings = new ResourceClient(client, kb.APIServiceBindings);
  const items = await Promise.all(
    names.map((name) => step(`reading APIServiceBinding ${name}`, () => bindings.get(name))),
  );
  if (output !== 'table') {
    const list = {
      kind: 'APIServiceBindingList',
      apiVersion: kb.kubeBindAPIVersion,
      metadata: {},
      items: items.map((b) => ({
        ...b,
        kind: 'APIServiceBinding',
        apiVersion: kb.kubeBindAPIVersion,
      })),
    };
    io.stdout(formatDocument(list, output));
    return;
  }
  io.stdout(formatTable(bindingRows(items, io.now())));
}

/** The columns of the APIServiceBinding CRD: NAME, PROVIDER, READY, MESSAGE, AGE. */
export function bindingRows(items: readonly kb.APIServiceBinding[], nowMs: number): string[][] {
  return [
    ['NAME', 'PROVIDER', 'READY', 'MESSAGE', 'AGE'],
    ...items.map((b) => {
      const ready = b.status?.conditions?.find((c) => c.type === ReadyCondition);
      const created = Date.parse(b.metadata?.creationTimestamp ?? '');
      return [
        b.metadata?.name ?? '',
        b.status?.providerPrettyName ?? '',
        ready?.status ?? '',
        oneLine(ready?.message ?? ''),
        Number.isNaN(created) ? '<unknown>' : humanDuration(nowMs - created),
      ];
    }),
  ];
}

/** JSON (4-space indent, as kubectl) or YAML. */
export function formatDocument(doc: unknown, output: 'json' | 'yaml'): string {
  return output === 'json' ? `${JSON.stringify(doc, null, 4)}\n` : stringify(doc);
}

/**
 * Whether `actual` holds everything `wanted` does (the server may have added defaults): objects
 * key by key, arrays element by element with the same length, everything else equal.
 */
export function covers(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(actual) &&
      actual.length === wanted.length &&
      wanted.every((w, i) => covers(actual[i], w))
    );
  }
  if (typeof wanted === 'object' && wanted !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    return Object.entries(wanted).every(([k, w]) => covers(a[k], w));
  }
  return actual === wanted;
}

/** Runs one step; a failure becomes a one-line CommandError saying which step failed. */
async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw wrap(what, err);
  }
}

function wrap(what: string, err: unknown): Error {
  if (err instanceof CommandError) return err;
  return new CommandError(`${what}: ${describeError(err)}`);
}

/** A Kubernetes API error as `403 Forbidden: <message>`, anything else by its reason. */
export function describeError(err: unknown): string {
  if (err instanceof KubeApiError) {
    return `${err.code} ${err.reason}: ${oneLine(err.status.message ?? '(no message)')}`;
  }
  return networkReason(err);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
