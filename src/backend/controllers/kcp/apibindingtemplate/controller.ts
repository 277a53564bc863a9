// The apibindingtemplate controller (docs/controllers.md §6.4, kcp only): every Bound APIBinding
// of a backend workspace (except the ignored ones, by default kube-bind.io's and kcp's own)
// becomes APIServiceExportTemplates that offer what it binds (see decide.ts). Woken by the
// binding and by any template generated for it, so a changed or deleted template is put back.
import type { Logger } from 'pino';
import type { APIBinding } from '../../../../apis/kubebind/kcp.ts';
import * as kb from '../../../../apis/kubebind/types.gen.ts';
import { AlreadyExistsError, ignoreNotFound } from '../../../../kube/errors.ts';
import { ResourceClient } from '../../../../kube/resource.ts';
import { APIBindings } from '../../../../providers/kcp/bootstrap.ts';
import type { Informer } from '../../../../runtime/cache/informer.ts';
import type { Cluster } from '../../../../runtime/cluster.ts';
import type { ControllerSpec } from '../../../../runtime/controller/controller.ts';
import { forObject, watch } from '../../../../runtime/controller/handlers.ts';
import { noEvents, type EventRecorder } from '../../../../runtime/events.ts';
import { perCluster } from '../../per-cluster.ts';
import { schemaFetcherFor, type SchemaFetcher } from '../schema-fetcher.ts';
import { ownerBinding, templatesByBindingIndex } from '../template-owner.ts';
import {
  desiredTemplates,
  resolveResource,
  skipReason,
  staleTemplates,
  templateUpdate,
  type ResolvedResource,
} from './decide.ts';

export const apiBindingTemplateControllerName = 'kube-bind-backend-kcp-apibindingtemplate';

export interface APIBindingTemplateConfig {
  /** `--apibinding-ignore-prefixes`: bindings whose names start with one get no templates. */
  ignorePrefixes: readonly string[];
  events?: EventRecorder;
}

interface PerCluster {
  bindings: Informer<APIBinding>;
  templates: Informer<kb.APIServiceExportTemplate>;
  schemas: SchemaFetcher;
}

export function apiBindingTemplateController(config: APIBindingTemplateConfig): ControllerSpec {
  const events = config.events ?? noEvents;
  const of = perCluster((cluster): PerCluster => {
    const templates = cluster.informers.informerFor(kb.APIServiceExportTemplates);
    templates.addIndexer(templatesByBindingIndex, (t) => {
      const binding = ownerBinding(t);
      return binding ? [binding] : [];
    });
    return {
      bindings: cluster.informers.informerFor(APIBindings),
      templates,
      schemas: schemaFetcherFor(cluster),
    };
  });
  return {
    name: apiBindingTemplateControllerName,
    watches: (cluster) => {
      const { bindings, templates } = of(cluster);
      return [
        watch(bindings, { map: forObject() }),
        watch(templates, {
          map: (t) => {
            const binding = ownerBinding(t);
            return binding ? [{ name: binding }] : [];
          },
        }),
      ];
    },
    reconcile: async (req, { cluster, log, signal }) => {
      const state = of(cluster);
      const binding = state.bindings.lister.get(req.name);
      const generated = state.templates.lister.byIndex(templatesByBindingIndex, req.name);
      const client = new ResourceClient(cluster.client, kb.APIServiceExportTemplates);
      if (!binding) {
        // The garbage collector would get there too (owner reference); this is at once.
        for (const t of generated) {
          await deleteTemplate(client, t, signal);
          log.info({ template: t.metadata?.name }, 'deleted the template of a deleted binding');
        }
        return;
      }
      const skip = skipReason(binding, config.ignorePrefixes);
      if (skip) {
        log.debug({ reason: skip }, 'binding gets no templates');
        return;
      }
      const resources = await resolve(binding, state.schemas, signal);
      const desired = desiredTemplates(binding, resources);
      for (const template of desired) {
        await ensureTemplate(cluster, state, binding, template, { events, log, signal });
      }
      for (const t of staleTemplates(generated, desired)) {
        await deleteTemplate(client, t, signal);
        log.info({ template: t.metadata?.name }, 'deleted a template the binding no longer needs');
      }
    },
  };
}

/** Each bound resource with its scope and served versions, from its APIResourceSchema. */
async function resolve(
  binding: APIBinding,
  schemas: SchemaFetcher,
  signal: AbortSignal,
): Promise<ResolvedResource[]> {
  const resolved: ResolvedResource[] = [];
  for (const bound of binding.status?.boundResources ?? []) {
    const fetched = await schemas.fetch(bound.schema.name, signal);
    if (!fetched) {
      // kcp's virtual workspace may not know a binding that was Bound a moment ago: retry.
      throw new Error(
        `APIResourceSchema ${bound.schema.name} of ${bound.resource}.${bound.group} is neither ` +
          'in the workspace nor in its apiresourceschema virtual workspace',
      );
    }
    resolved.push(resolveResource(bound, fetched.schema));
  }
  return resolved;
}

async function ensureTemplate(
  cluster: Cluster,
  state: PerCluster,
  binding: APIBinding,
  desired: kb.APIServiceExportTemplate,
  ctx: { events: EventRecorder; log: Logger; signal: AbortSignal },
): Promise<void> {
  const { events, log, signal } = ctx;
  const name = desired.metadata?.name ?? '';
  const client = new ResourceClient(cluster.client, kb.APIServiceExportTemplates);
  let live = state.templates.lister.get(name);
  if (!live) {
    try {
      await client.create(desired, { signal });
      log.info({ template: name }, 'created a template for the binding');
      await events.event(binding, 'Normal', 'TemplateCreated', `created template ${name}`);
      return;
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      live = await client.get(name, signal);
    }
  }
  if (ownerBinding(live) !== binding.metadata?.name) {
    // Someone else's template: generating over it would take their work away.
    const message = `template ${name} exists and was not generated for this binding; left alone`;
    log.info({ template: name }, message);
    await events.event(binding, 'Warning', 'TemplateNameTaken', message);
    return;
  }
  const update = templateUpdate(live, desired);
  if (!update) return;
  await client.update(update, { signal });
  log.info({ template: name }, 'updated the template to what the binding binds');
}

function deleteTemplate(
  client: ResourceClient<kb.APIServiceExportTemplate>,
  template: kb.APIServiceExportTemplate,
  signal: AbortSignal,
): Promise<unknown> {
  return ignoreNotFound(
    client.delete(template.metadata?.name ?? '', {
      preconditions: { uid: template.metadata?.uid ?? '' },
      signal,
    }),
  );
}
