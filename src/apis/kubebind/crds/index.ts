// Every kind of the kube-bind.io API group, in a stable order (alphabetical by plural).
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { toCRD, type CRDDefinition } from '../../schema/crd.ts';
import { apiConversion } from './apiconversion.ts';
import { apiServiceBinding, apiServiceBindingBundle } from './apiservicebinding.ts';
import { apiServiceExport } from './apiserviceexport.ts';
import { apiServiceExportRequest } from './apiserviceexportrequest.ts';
import { apiServiceNamespace } from './apiservicenamespace.ts';
import { bindableResourcesRequest } from './bindableresourcesrequest.ts';
import { boundSchema } from './boundschema.ts';
import { cluster } from './cluster.ts';
import { clusterBinding } from './clusterbinding.ts';
import { apiServiceExportTemplate, collection } from './templates.ts';

export const kubeBindKinds: readonly CRDDefinition[] = [
  apiConversion,
  apiServiceBindingBundle,
  apiServiceBinding,
  apiServiceExportRequest,
  apiServiceExport,
  apiServiceExportTemplate,
  apiServiceNamespace,
  bindableResourcesRequest,
  boundSchema,
  clusterBinding,
  cluster,
  collection,
];

/** The kinds the konnector installs on a consumer cluster; the provider needs the others. */
export const consumerKindPlurals: readonly string[] = [
  'apiservicebindings',
  'apiservicebindingbundles',
];

/** The CRD objects of every kind, as the backend applies them. */
export function kubeBindCRDs(): CustomResourceDefinition[] {
  return kubeBindKinds.map(toCRD);
}

/** The CRDs the konnector applies on a consumer cluster. */
export function consumerCRDs(): CustomResourceDefinition[] {
  return kubeBindKinds.filter((def) => consumerKindPlurals.includes(def.names.plural)).map(toCRD);
}
