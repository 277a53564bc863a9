// The apiresourceschema controller (docs/controllers.md §6.4, kcp only): each template the
// apibindingtemplate controller generated gets labelled local copies of the APIResourceSchemas
// of its resources (see decide.ts), which is what `--schema-source=apiresourceschemas` exports.
// Woken by the template, by its copies (a deleted or unlabelled copy is put back) and by its
// binding (a binding that moves to a new schema revision moves the copies with it).
import type { Logger } from 'pino';
import type { APIBinding, APIResourceSchema } from '../../../../apis/kubebind/kcp.ts';
import * as kb from '../../../../apis/kubebind/types.gen.ts';
import { AlreadyExistsError, ignoreNotFound } from '../../../../kube/errors.ts';
import { ResourceClient } from '../../../../kube/resource.ts';
import { APIBindings, APIResourceSchemas } from '../../../../providers/kcp/bootstrap.ts';
import type { Informer } from '../../../../runtime/cache/informer.ts';
import type { ControllerSpec } from '../../../../runtime/controller/controller.ts';
import { forObject, forOwner, watch } from '../../../../runtime/controller/handlers.ts';
import { noEvents, type EventRecorder } from '../../../../runtime/events.ts';
import { exportedLabel } from '../../../../apis/kubebind/wire.ts';
import { perCluster } from '../../per-cluster.ts';
import { ownerBinding, templatesByBindingIndex } from '../template-owner.ts';
import { schemaFetcherFor, type SchemaFetcher } from '../schema-fetcher.ts';
import { decideCopy, decideStale, wantedSchemas } from './decide.ts';

export const apiResourceSchemaControllerName = 'kube-bind-backend-kcp-apiresourceschema';

export interface APIResourceSchemaConfig {
  events?: EventRecorder;
}

const copiesByTemplateIndex = 'schemaCopiesByTemplateUID';

interface PerCluster {
  templates: Informer<kb.APIServiceExportTemplate>;
  bindings: Informer<APIBinding>;
  copies: Informer<APIResourceSchema>;
  schemas: SchemaFetcher;
}

export function apiResourceSchemaController(config: APIResourceSchemaConfig = {}): ControllerSpec {
  const events = config.events ?? noEvents;
  const of = perCluster((cluster): PerCluster => {
    const templates = cluster.informers.informerFor(kb.APIServiceExportTemplates);
    templates.addIndexer(templatesByBindingIndex, (t) => {
      const binding = ownerBinding(t);
      return binding ? [binding] : [];
    });
    const copies = cluster.informers.informerFor(APIResourceSchemas, {
      labelSelector: `${exportedLabel}=true`,
    });
    copies.addIndexer(copiesByTemplateIndex, (s) =>
      (s.metadata.ownerReferences ?? [])
        .filter((r) => r.kind === 'APIServiceExportTemplate')
        .map((r) => r.uid),
    );
    return {
      templates,
      bindings: cluster.informers.informerFor(APIBindings),
      copies,
      schemas: schemaFetcherFor(cluster),
    };
  });
  return {
    name: apiResourceSchemaControllerName,
    watches: (cluster) => {
      const { templates, bindings, copies } = of(cluster);
      return [
        watch(templates, { map: forObject() }),
        watch(copies, {
          map: forOwner<APIResourceSchema>(kb.APIServiceExportTemplates, { allOwners: true }),
        }),
        watch(bindings, {
          map: (b) =>
            templates.lister
              .byIndex(templatesByBindingIndex, b.metadata?.name ?? '')
              .map((t) => ({ name: t.metadata?.name ?? '' })),
        }),
      ];
    },
    reconcile: async (req, { cluster, log, signal }) => {
      const state = of(cluster);
      const template = state.templates.lister.get(req.name);
      // A deleted template's copies go with it (owner reference).
      if (!template) return;
      const bindingName = ownerBinding(template);
      const binding = bindingName ? state.bindings.lister.get(bindingName) : undefined;
      if (!binding || binding.status?.phase !== 'Bound') {
        log.debug({ binding: bindingName }, 'template without a Bound binding: no schemas');
        return;
      }
      const wanted = wantedSchemas(binding, template);
      const client = new ResourceClient(cluster.client, APIResourceSchemas);
      for (const name of wanted) {
        await ensureCopy(client, state.schemas, template, name, { events, log, signal });
      }
      const owned = state.copies.lister.byIndex(
        copiesByTemplateIndex,
        template.metadata?.uid ?? '',
      );
      for (const copy of owned) {
        const action = decideStale(copy, template, wanted);
        if (action.kind === 'delete') {
          await ignoreNotFound(
            client.delete(copy.metadata.name, {
              preconditions: { uid: copy.metadata.uid ?? '' },
              signal,
            }),
          );
          log.info(
            { schema: copy.metadata.name },
            'deleted a schema copy the template no longer uses',
          );
        } else if (action.kind === 'disown') {
          await client.update(action.schema, { signal });
        }
      }
    },
  };
}

async function ensureCopy(
  client: ResourceClient<APIResourceSchema>,
  schemas: SchemaFetcher,
  template: kb.APIServiceExportTemplate,
  name: string,
  ctx: { events: EventRecorder; log: Logger; signal: AbortSignal },
): Promise<void> {
  const { events, log, signal } = ctx;
  const fetched = await schemas.fetch(name, signal);
  if (!fetched) {
    throw new Error(
      `APIResourceSchema ${name} is neither in the workspace nor in its apiresourceschema virtual workspace`,
    );
  }
  const local = fetched.from === 'workspace' ? fetched.schema : undefined;
  let action = decideCopy(fetched.schema, local, template);
  if (action.kind === 'create') {
    try {
      await client.create(action.schema, { signal });
      log.info({ schema: name }, 'copied the schema into the workspace for export');
      await events.event(template, 'Normal', 'SchemaCopied', `copied APIResourceSchema ${name}`);
      return;
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      // Made since we looked (perhaps not labelled): decide again with it.
      action = decideCopy(fetched.schema, await client.get(name, signal), template);
    }
  }
  if (action.kind === 'update') {
    await client.update(action.schema, { signal });
    log.info({ schema: name }, 'labelled the schema for export');
  }
}
