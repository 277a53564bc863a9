// The controllers only the kcp provider runs (docs/controllers.md §6.4): templates from a backend
// workspace's APIBindings, labelled copies of the schemas behind them, and the RBAC that lets the
// backend read those schemas through kcp's apiresourceschema virtual workspace. Together they turn
// "this workspace binds a provider's APIExport" into something consumers can bind through
// kube-bind; run them with `--schema-source=apiresourceschemas` so the copies are what is exported.
import type { Subject } from 'kubernetes-types/rbac/v1.js';
import type { ControllerSpec } from '../../../runtime/controller/controller.ts';
import type { EventRecorder } from '../../../runtime/events.ts';
import { apiBindingTemplateController } from './apibindingtemplate/controller.ts';
import { apiResourceSchemaController } from './apiresourceschema/controller.ts';
import { vwRBACController } from './vwrbac/controller.ts';

export { vwSubject } from './vwrbac/controller.ts';

export interface KcpControllersConfig {
  /** `--apibinding-ignore-prefixes`. */
  apiBindingIgnorePrefixes: readonly string[];
  /** The backend's identity, from `vwSubject()` at start-up. */
  vwSubject: Subject;
  events?: EventRecorder;
}

export function kcpControllers(config: KcpControllersConfig): ControllerSpec[] {
  const events = config.events && { events: config.events };
  return [
    apiBindingTemplateController({ ignorePrefixes: config.apiBindingIgnorePrefixes, ...events }),
    apiResourceSchemaController({ ...events }),
    vwRBACController(config.vwSubject),
  ];
}
