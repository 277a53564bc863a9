// Public routes: provider discovery (docs/protocol.md §3.3, §3.4), the claimable APIs (§3.8),
// the konnector manifests (protocol.md §3.9) and our /api/info for the UI.
import type { FastifyInstance } from 'fastify';
import type { BackendInfo, BindingProvider } from '../../../apis/kubebind/documents.ts';
import { konnectorManifestsYAML } from '../../resources/konnector.ts';
import type { FrontDoorDeps } from '../deps.ts';
import { noCache, sendJSON } from '../headers.ts';
import { publicOrigin } from '../origin.ts';
import { apiHealth } from './health.ts';
import { claimableAPIs } from './claimable.ts';

/** The query parameters /api/exports copies into the login URL (protocol.md §3.3). */
const forwarded = ['client_type', 'cluster_id', 'consumer_id', 'session_id'] as const;

export function discoveryRoutes(deps: FrontDoorDeps) {
  const { config } = deps;
  // A fastify plugin: registers its routes (nothing to wait for).
  return (app: FastifyInstance): Promise<void> => {
    apiHealth(app);
    app.get('/api/exports', (req, reply) => {
      const url = new URL('/api/authorize', publicOrigin(req, config));
      const query = new URLSearchParams(req.url.split('?')[1] ?? '');
      for (const key of forwarded) {
        const v = query.get(key);
        if (v) url.searchParams.set(key, v);
      }
      const provider: BindingProvider = {
        kind: 'BindingProvider',
        apiVersion: 'v1alpha2',
        providerPrettyName: config.prettyName,
        version: config.version,
        authenticationMethods: [
          { method: 'OAuth2CodeGrant', oauth2CodeGrant: { authenticatedURL: url.href } },
        ],
      };
      return sendJSON(reply, provider);
    });
    app.get('/exports', (req, reply) => {
      const query = req.url.split('?')[1];
      return reply.redirect(query ? `/api/exports?${query}` : '/api/exports', 302);
    });
    app.get('/api/info', (_req, reply) => {
      const info: BackendInfo = {
        providerPrettyName: config.prettyName,
        version: config.version,
        developmentIssuer: config.developmentIssuer,
      };
      return sendJSON(noCache(reply), info);
    });
    app.get('/api/bindable-resources', (_req, reply) => sendJSON(reply, claimableAPIs));
    app.get('/api/konnector-manifests', (_req, reply) =>
      noCache(reply)
        .type('text/yaml')
        .header('content-disposition', 'attachment; filename=konnector.yaml')
        .send(
          konnectorManifestsYAML({
            image: config.konnectorImage,
            hostAliases: config.konnectorHostAliases,
          }),
        ),
    );
    return Promise.resolve();
  };
}
