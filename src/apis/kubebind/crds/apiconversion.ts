// APIConversion: schema only (no controller reads it); shipped for parity with upstream's kcp
// APIExport (docs/controllers.md §1.4).
import { array, named, object, required, string } from '../../schema/builder.ts';
import { ageColumn, kindNames, kindSchema, type CRDDefinition } from '../../schema/crd.ts';
import { group } from './shared.ts';

const version = string({ minLength: 1, pattern: '^v[1-9][0-9]*([a-z]+[1-9][0-9]*)?$' });

const rule = object({
  field: required(string({ minLength: 1, description: 'The field in the source version.' })),
  destination: required(
    string({ minLength: 1, description: 'The field in the destination version.' }),
  ),
  transformation: string({ description: 'A CEL expression that converts the value.' }),
});

const conversion = object({
  from: required({ ...version, description: 'The source version.' }),
  to: required({ ...version, description: 'The destination version.' }),
  rules: required(
    array(rule, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['destination'] }),
  ),
  preserve: array(string({ description: 'A JSONPath of a field to keep.' })),
});

export const apiConversion: CRDDefinition = {
  group,
  scope: 'Cluster',
  names: kindNames('APIConversion', 'apiconversions', { categories: ['kcp'] }),
  conversionNone: true,
  versions: [
    {
      name: 'v1alpha2',
      served: true,
      storage: true,
      statusSubresource: false,
      printerColumns: [ageColumn],
      schema: kindSchema({
        description: 'Conversion rules between the versions of an API.',
        spec: named(
          'APIConversionSpec',
          object({
            conversions: required(
              array(conversion, {
                'x-kubernetes-list-type': 'map',
                'x-kubernetes-list-map-keys': ['from', 'to'],
              }),
            ),
          }),
        ),
      }),
    },
  ],
};
