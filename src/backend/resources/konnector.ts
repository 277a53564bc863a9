// The konnector's install manifests as the backend serves them (GET /api/konnector-manifests):
// the shared objects of src/apis/kubebind/konnector-manifests.ts as multi-document YAML.
import { stringify } from 'yaml';
import {
  konnectorObjects,
  type KonnectorSettings,
} from '../../apis/kubebind/konnector-manifests.ts';

/** Multi-document YAML of the seven objects, `---` between documents. */
export function konnectorManifestsYAML(settings: KonnectorSettings): string {
  return Object.values(konnectorObjects(settings))
    .map((o: object) => stringify(o))
    .join('---\n');
}
