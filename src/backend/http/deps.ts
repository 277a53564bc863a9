// What the HTTP front door is built from: the services it calls and its configuration. The app
// wires real ones; tests can wire the same ones against a real cluster.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type {
  ApplyBindingResponse,
  BindingResponse,
  ConsumerStatus,
} from '../../apis/kubebind/documents.ts';
import type { LoginService } from '../auth/login.ts';
import type { Subject } from '../binding/authorize.ts';
import type { User } from '../binding/service.ts';
import type { HostAlias, ServerOptions } from '../options/options.ts';

/** The binding service as the HTTP layer uses it (src/backend/binding/service.ts). */
export interface BindingPort {
  ready(): boolean;
  /** `groups` from the IdP; `trustedGroups` from our configuration (binding/authorize.ts). */
  authorize(clusterId: string, user: Subject): Promise<void>;
  templates(clusterId: string): unknown;
  collections(clusterId: string): unknown;
  bind(
    clusterId: string,
    consumerId: string,
    user: User,
    body: unknown,
    signal: AbortSignal,
  ): Promise<BindingResponse>;
  consumerStatus(clusterId: string, user: User, signal: AbortSignal): Promise<ConsumerStatus>;
  applyBinding(
    clusterId: string,
    user: User,
    body: unknown,
    signal: AbortSignal,
  ): Promise<ApplyBindingResponse>;
}

export interface FrontDoorConfig {
  prettyName: string;
  /** The kube-bind version this backend speaks, reported in BindingProvider.version. */
  version: string;
  /** The backend's public origin (that of --oidc-callback-url). */
  ownOrigin: string;
  /** The server speaks TLS itself. */
  tls: boolean;
  frontend: ServerOptions['frontend'];
  /** Directory of the built web UI (index.html, assets/). */
  webRoot: string;
  /** The embedded development issuer is on: the UI and the log say so loudly. */
  developmentIssuer: boolean;
  konnectorHostAliases: HostAlias[];
  konnectorImage: string;
  /**
   * Groups added to the user's own in authorization checks: upstream's embedded issuer mode adds
   * `system:authenticated`, which its RBAC for allowed users names.
   */
  authorizationGroups: string[];
}

export interface FrontDoorDeps {
  config: FrontDoorConfig;
  binding: BindingPort;
  /** Absent with --frontend-disabled (no login, only the health routes). */
  login?: LoginService;
  /** Rejects when the session store cannot be reached. */
  pingSessions(): Promise<void>;
  metrics: Registry;
  log: Logger;
  /** Registers extra routes before the catch-all (the embedded issuer's /oidc/*). */
  extraRoutes?: (app: FastifyInstance) => void | Promise<void>;
}
