// The web UI (docs/protocol.md §3.18): the built single-page app from web/dist, or, with
// --frontend=http://…, a development server proxied. Files are read once at start (the build is
// small), paths that look like assets but do not exist are 404, any other path is index.html so
// the UI's own routes work on reload.
import { extname, join, relative } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FrontDoorDeps } from './deps.ts';

const { readFileSync, readdirSync, statSync } = process.getBuiltinModule('node:fs');

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const assetLike = /\/assets\/|\.(js|css|png|jpe?g|gif|svg|ico|woff2?|ttf|eot|map)$/;

/** Headers that keep the UI from being framed or fed foreign scripts, and URLs from leaking. */
const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // The UI's URL carries session_id and redirect_url.
  'referrer-policy': 'no-referrer',
};

interface File {
  body: Buffer;
  type: string;
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

export function webUI(deps: FrontDoorDeps): Handler {
  const { frontend, webRoot } = deps.config;
  if (frontend.kind === 'proxy') return proxyTo(frontend.url);
  const files = loadFiles(webRoot);
  const index = files.get('/index.html');
  if (!index)
    deps.log.warn({ webRoot }, 'the web UI is not built (npm run build:web): serving a notice');
  return async (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return reply
        .code(405)
        .header('allow', 'GET, HEAD')
        .type('text/plain')
        .send('method not allowed\n');
    }
    const path = decodeURIComponent(req.url.split('?')[0] ?? '/');
    const file = files.get(path);
    reply.headers(securityHeaders);
    if (file) {
      // Hashed asset names never change content: cache them for good.
      if (path.startsWith('/assets/'))
        reply.header('cache-control', 'public, max-age=31536000, immutable');
      return reply.type(file.type).send(file.body);
    }
    if (assetLike.test(path)) return reply.code(404).type('text/plain').send('not found\n');
    reply.header('cache-control', 'no-cache');
    if (!index)
      return reply
        .code(503)
        .type('text/plain')
        .send('The web UI is not built: run npm run build:web\n');
    return reply.type(index.type).send(index.body);
  };
}

function loadFiles(root: string): Map<string, File> {
  const files = new Map<string, File>();
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      if (name.startsWith('.')) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const type = contentTypes[extname(name)] ?? 'application/octet-stream';
        files.set(`/${relative(root, full).split('\\').join('/')}`, {
          body: readFileSync(full),
          type,
        });
      }
    }
  };
  walk(root);
  return files;
}

/**
 * Forwards to the UI development server (only for developing the UI). The request's path is
 * appended to the server's origin as text, never resolved against it: `new URL('//host/x', base)`
 * would leave the origin (a protocol-relative path), turning the backend into a proxy to any
 * host, e.g. `GET //169.254.169.254/…` to a cloud metadata service.
 */
function proxyTo(base: string): Handler {
  const origin = new URL(base).origin;
  return async (req, reply) => {
    const target = proxyTarget(origin, req.url);
    if (!target) return reply.code(400).type('text/plain').send('bad request\n');
    const upstream = await fetch(target, {
      method: req.method,
      headers: { accept: req.headers.accept ?? '*/*' },
      redirect: 'manual',
    });
    reply.code(upstream.status);
    const type = upstream.headers.get('content-type');
    if (type) reply.type(type);
    return reply.send(Buffer.from(await upstream.arrayBuffer()));
  };
}

/** `origin` + the request's path and query; undefined for anything that would leave `origin`. */
export function proxyTarget(origin: string, url: string): URL | undefined {
  if (!url.startsWith('/')) return undefined;
  let target: URL;
  try {
    target = new URL(`${origin}${url}`);
  } catch {
    return undefined;
  }
  return target.origin === origin ? target : undefined;
}
