import { describe, expect, it } from 'vitest';
import {
  boundSchemaSpecJson,
  sourceSpecHash,
  sourceSpecHashOf,
  type BoundSchemaSpec,
} from './spec-hash.ts';

// Characters Go writes unescaped that would be invisible in this file.
const DEL = '\u007f';
const PRIVATE_USE = '\ue000';

/** Go's output is one line; the vectors below are broken up between tokens for reading. */
const oneLine = (s: string): string => s.replace(/\n */g, '');

/** What the backend does with a listed CRD or APIResourceSchema: its spec plus informerScope. */
function specOf(source: string, informerScope: BoundSchemaSpec['informerScope']): BoundSchemaSpec {
  const object = JSON.parse(source) as { spec: Omit<BoundSchemaSpec, 'informerScope'> };
  return { ...object.spec, informerScope };
}

// Reference vectors, measured with Go 1.26, k8s.io/apimachinery and
// k8s.io/apiextensions-apiserver v0.34.0, along upstream's path: `source` (the object as the API
// server serves it) decoded as unstructured, runtime.DefaultUnstructuredConverter.FromUnstructured
// into structs with kube-bind v1alpha2's BoundSchemaSpec field order and json tags (apiextensions
// v1 names/subresources/columns, runtime.RawExtension schema), informerScope set, then
// json.NewEncoder(sha256).Encode(spec). `json` is that encoding, `hash` the digest.
// crd-edge and crd-minimal are not valid CRDs on purpose: they pin zero values and omitempty
// (missing `served`, empty `url`/`caBundle`, missing conversionReviewVersions, null schema).
// Sources are re-indented here; their tokens are exactly what Go read.
const vectors: {
  name: string;
  informerScope: BoundSchemaSpec['informerScope'];
  source: string;
  json: string;
  hash: string;
}[] = [
  {
    name: 'crd-edge',
    informerScope: 'Namespaced',
    source: String.raw`{
      "apiVersion":"apiextensions.k8s.io/v1",
      "kind":"CustomResourceDefinition",
      "metadata":{"name":"edges.example.com"},
      "spec":{
        "group":"example.com",
        "names":{"plural":"edges","singular":"","kind":"Edge","listKind":""},
        "scope":"Namespaced",
        "versions":[
          {
            "name":"v1",
            "storage":true,
            "schema":{"openAPIV3Schema":{"type":"object"}},
            "subresources":{"scale":{"specReplicasPath":".spec.n","statusReplicasPath":".status.n"}},
            "additionalPrinterColumns":[
              {"name":"N","type":"integer","description":"","format":"","jsonPath":".spec.n"}
            ]
          }
        ],
        "conversion":{
          "strategy":"Webhook",
          "webhook":{
            "clientConfig":{
              "url":"",
              "caBundle":"",
              "service":{"namespace":"ns","name":"svc","port":443}
            }
          }
        }
      }
    }`,
    json: String.raw`{
      "informerScope":"Namespaced",
      "group":"example.com",
      "names":{"plural":"edges","kind":"Edge"},
      "scope":"Namespaced",
      "versions":[
        {
          "name":"v1",
          "served":false,
          "storage":true,
          "schema":{"openAPIV3Schema":{"type":"object"}},
          "subresources":{"scale":{"specReplicasPath":".spec.n","statusReplicasPath":".status.n"}},
          "additionalPrinterColumns":[{"name":"N","type":"integer","jsonPath":".spec.n"}]
        }
      ],
      "conversion":{
        "strategy":"Webhook",
        "webhook":{"clientConfig":{"url":""},"conversionReviewVersions":null}
      }
    }`,
    hash: '969d8b83727b09b247ee4a2b1174d10e463ed66082175a3be858b67188105b79',
  },
  {
    name: 'crd-gadgets-webhook',
    informerScope: 'Cluster',
    source: String.raw`{
      "apiVersion":"apiextensions.k8s.io/v1",
      "kind":"CustomResourceDefinition",
      "metadata":{"name":"gadgets.example.com","labels":{"kube-bind.io/exported":"true"}},
      "spec":{
        "group":"example.com",
        "names":{
          "plural":"gadgets",
          "singular":"gadget",
          "shortNames":[],
          "kind":"Gadget",
          "listKind":"GadgetList"
        },
        "scope":"Cluster",
        "versions":[
          {
            "name":"v2",
            "served":true,
            "storage":true,
            "schema":{
              "openAPIV3Schema":{
                "type":"object",
                "properties":{
                  "spec":{
                    "type":"object",
                    "properties":{"size":{"type":"integer","format":"int32","default":10}}
                  }
                }
              }
            }
          },
          {
            "name":"v1",
            "served":false,
            "storage":false,
            "deprecated":true,
            "deprecationWarning":"",
            "schema":{"openAPIV3Schema":{"type":"object"}},
            "subresources":{},
            "additionalPrinterColumns":[]
          }
        ],
        "conversion":{
          "strategy":"Webhook",
          "webhook":{
            "clientConfig":{
              "url":"https://conv.example.com/convert?a=1&b=<2>",
              "caBundle":"AAECAwT/+w/vLS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="
            },
            "conversionReviewVersions":["v1","v1beta1"]
          }
        }
      }
    }`,
    json: String.raw`{
      "informerScope":"Cluster",
      "group":"example.com",
      "names":{"plural":"gadgets","singular":"gadget","kind":"Gadget","listKind":"GadgetList"},
      "scope":"Cluster",
      "versions":[
        {
          "name":"v2",
          "served":true,
          "storage":true,
          "schema":{
            "openAPIV3Schema":{
              "properties":{
                "spec":{
                  "properties":{"size":{"default":10,"format":"int32","type":"integer"}},
                  "type":"object"
                }
              },
              "type":"object"
            }
          },
          "subresources":{}
        },
        {
          "name":"v1",
          "served":false,
          "storage":false,
          "deprecated":true,
          "deprecationWarning":"",
          "schema":{"openAPIV3Schema":{"type":"object"}},
          "subresources":{}
        }
      ],
      "conversion":{
        "strategy":"Webhook",
        "webhook":{
          "clientConfig":{
            "url":"https://conv.example.com/convert?a=1\u0026b=\u003c2\u003e",
            "caBundle":"AAECAwT/+w/vLS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="
          },
          "conversionReviewVersions":["v1","v1beta1"]
        }
      }
    }`,
    hash: 'd27ad91da103f52af807a27a1cb7813a142424ce17a04be90d774a22a19e834c',
  },
  {
    name: 'crd-minimal',
    informerScope: 'Namespaced',
    source: String.raw`{
      "apiVersion":"apiextensions.k8s.io/v1",
      "kind":"CustomResourceDefinition",
      "metadata":{"name":"things.core.example"},
      "spec":{
        "group":"",
        "names":{"plural":"things","kind":"Thing","categories":[]},
        "scope":"Namespaced",
        "versions":[{"name":"v1","served":true,"storage":true,"schema":null}]
      }
    }`,
    json: String.raw`{
      "informerScope":"Namespaced",
      "group":"",
      "names":{"plural":"things","kind":"Thing"},
      "scope":"Namespaced",
      "versions":[{"name":"v1","served":true,"storage":true,"schema":null,"subresources":{}}]
    }`,
    hash: '84cabb01e21e6bb0615c67d60d632c83f0e5aa7a0cc4f14318b4902c1421ea3b',
  },
  {
    name: 'crd-widgets',
    informerScope: 'Namespaced',
    source: String.raw`{
      "apiVersion":"apiextensions.k8s.io/v1",
      "kind":"CustomResourceDefinition",
      "metadata":{
        "name":"widgets.example.com",
        "labels":{"kube-bind.io/exported":"true"},
        "resourceVersion":"4711",
        "uid":"0b7e2d0c-1111-2222-3333-444455556666",
        "generation":3,
        "creationTimestamp":"2026-01-02T03:04:05Z"
      },
      "spec":{
        "group":"example.com",
        "names":{
          "plural":"widgets",
          "singular":"widget",
          "shortNames":["wd"],
          "kind":"Widget",
          "listKind":"WidgetList",
          "categories":["all","kube-bindings"]
        },
        "scope":"Namespaced",
        "preserveUnknownFields":false,
        "versions":[
          {
            "name":"v1",
            "served":true,
            "storage":true,
            "schema":{
              "openAPIV3Schema":{
                "type":"object",
                "description":"A <widget> & friends",
                "required":["spec"],
                "properties":{
                  "apiVersion":{"type":"string"},
                  "kind":{"type":"string"},
                  "metadata":{"type":"object"},
                  "spec":{
                    "type":"object",
                    "properties":{
                      "replicas":{
                        "type":"integer",
                        "default":1,
                        "minimum":0,
                        "maximum":12345678901234567890
                      },
                      "ratio":{"type":"number","default":0.5,"maximum":1e21,"minimum":2.0},
                      "tiny":{"type":"number","default":1e-7,"multipleOf":0.000001},
                      "sum":{"type":"number","default":0.30000000000000004},
                      "huge":{"type":"number","default":1.5e300},
                      "name":{
                        "type":"string",
                        "pattern":"^[a-z]+<>&$",
                        "description":"naïve café ✓ line\u2028sep para\u2029sep tab\tquote\" backslash\\ ctl\u0001\u001f del\u007f bs\b ff\f"
                      },
                      "é":{"type":"string"},
                      "z":{"type":"string"},
                      "Z":{"type":"string"},
                      "a_":{"type":"string"},
                      "a":{"type":"string"},
                      "😀":{"type":"string"},
                      "\ue000":{"type":"string"}
                    }
                  },
                  "status":{"type":"object","x-kubernetes-preserve-unknown-fields":true}
                }
              }
            },
            "subresources":{
              "status":{},
              "scale":{
                "specReplicasPath":".spec.replicas",
                "statusReplicasPath":".status.replicas",
                "labelSelectorPath":".status.selector"
              }
            },
            "additionalPrinterColumns":[
              {"name":"Replicas","type":"integer","jsonPath":".spec.replicas","priority":0},
              {
                "name":"Ratio",
                "type":"number",
                "format":"float",
                "description":"ratio <x> & y",
                "priority":1,
                "jsonPath":".spec.ratio"
              }
            ],
            "selectableFields":[{"jsonPath":".spec.name"}]
          },
          {
            "name":"v1beta1",
            "served":true,
            "storage":false,
            "deprecated":true,
            "deprecationWarning":"example.com/v1beta1 Widget is deprecated; use v1 & stop <now>",
            "schema":{
              "openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}
            },
            "subresources":{"status":{}}
          }
        ],
        "conversion":{"strategy":"None"}
      },
      "status":{
        "acceptedNames":{"plural":"widgets","kind":"Widget"},
        "storedVersions":["v1"],
        "conditions":[
          {
            "type":"Established",
            "status":"True",
            "lastTransitionTime":"2026-01-02T03:04:06Z",
            "reason":"InitialNamesAccepted",
            "message":"the initial names have been accepted"
          }
        ]
      }
    }`,
    json: String.raw`{
      "informerScope":"Namespaced",
      "group":"example.com",
      "names":{
        "plural":"widgets",
        "singular":"widget",
        "shortNames":["wd"],
        "kind":"Widget",
        "listKind":"WidgetList",
        "categories":["all","kube-bindings"]
      },
      "scope":"Namespaced",
      "versions":[
        {
          "name":"v1",
          "served":true,
          "storage":true,
          "schema":{
            "openAPIV3Schema":{
              "description":"A \u003cwidget\u003e \u0026 friends",
              "properties":{
                "apiVersion":{"type":"string"},
                "kind":{"type":"string"},
                "metadata":{"type":"object"},
                "spec":{
                  "properties":{
                    "Z":{"type":"string"},
                    "a":{"type":"string"},
                    "a_":{"type":"string"},
                    "huge":{"default":1.5e+300,"type":"number"},
                    "name":{
                      "description":"naïve café ✓ line\u2028sep para\u2029sep tab\tquote\" backslash\\ ctl\u0001\u001f del${DEL} bs\b ff\f",
                      "pattern":"^[a-z]+\u003c\u003e\u0026$",
                      "type":"string"
                    },
                    "ratio":{"default":0.5,"maximum":1e+21,"minimum":2,"type":"number"},
                    "replicas":{
                      "default":1,
                      "maximum":12345678901234567000,
                      "minimum":0,
                      "type":"integer"
                    },
                    "sum":{"default":0.30000000000000004,"type":"number"},
                    "tiny":{"default":1e-7,"multipleOf":0.000001,"type":"number"},
                    "z":{"type":"string"},
                    "é":{"type":"string"},
                    "${PRIVATE_USE}":{"type":"string"},
                    "😀":{"type":"string"}
                  },
                  "type":"object"
                },
                "status":{"type":"object","x-kubernetes-preserve-unknown-fields":true}
              },
              "required":["spec"],
              "type":"object"
            }
          },
          "subresources":{
            "status":{},
            "scale":{
              "specReplicasPath":".spec.replicas",
              "statusReplicasPath":".status.replicas",
              "labelSelectorPath":".status.selector"
            }
          },
          "additionalPrinterColumns":[
            {"name":"Replicas","type":"integer","jsonPath":".spec.replicas"},
            {
              "name":"Ratio",
              "type":"number",
              "format":"float",
              "description":"ratio \u003cx\u003e \u0026 y",
              "priority":1,
              "jsonPath":".spec.ratio"
            }
          ]
        },
        {
          "name":"v1beta1",
          "served":true,
          "storage":false,
          "deprecated":true,
          "deprecationWarning":"example.com/v1beta1 Widget is deprecated; use v1 \u0026 stop \u003cnow\u003e",
          "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}},
          "subresources":{"status":{}}
        }
      ],
      "conversion":{"strategy":"None"}
    }`,
    hash: '0c813c96f72d0f122fb37d8ccc43db4796905e98cee2dfdb3bd14b9609b35d7b',
  },
  {
    name: 'kcp-sheriffs',
    informerScope: 'Cluster',
    source: String.raw`{
      "apiVersion":"apis.kcp.io/v1alpha1",
      "kind":"APIResourceSchema",
      "metadata":{
        "name":"v250101-abcdef.sheriffs.wildwest.dev",
        "labels":{"kube-bind.io/exported":"true"}
      },
      "spec":{
        "group":"wildwest.dev",
        "names":{"plural":"sheriffs","singular":"sheriff","kind":"Sheriff","listKind":"SheriffList"},
        "scope":"Cluster",
        "versions":[
          {
            "name":"v1alpha1",
            "served":true,
            "storage":true,
            "schema":{
              "type":"object",
              "description":"Sheriff & <deputies>",
              "properties":{
                "spec":{
                  "type":"object",
                  "properties":{
                    "intent":{"type":"string","enum":["keep <peace>","chase & catch"]},
                    "badge":{"type":"integer","default":7}
                  }
                },
                "status":{"type":"object","properties":{"result":{"type":"string"}}}
              }
            },
            "subresources":{"status":{}},
            "additionalPrinterColumns":[{"name":"Intent","type":"string","jsonPath":".spec.intent"}]
          }
        ]
      }
    }`,
    json: String.raw`{
      "informerScope":"Cluster",
      "group":"wildwest.dev",
      "names":{"plural":"sheriffs","singular":"sheriff","kind":"Sheriff","listKind":"SheriffList"},
      "scope":"Cluster",
      "versions":[
        {
          "name":"v1alpha1",
          "served":true,
          "storage":true,
          "schema":{
            "description":"Sheriff \u0026 \u003cdeputies\u003e",
            "properties":{
              "spec":{
                "properties":{
                  "badge":{"default":7,"type":"integer"},
                  "intent":{"enum":["keep \u003cpeace\u003e","chase \u0026 catch"],"type":"string"}
                },
                "type":"object"
              },
              "status":{"properties":{"result":{"type":"string"}},"type":"object"}
            },
            "type":"object"
          },
          "subresources":{"status":{}},
          "additionalPrinterColumns":[{"name":"Intent","type":"string","jsonPath":".spec.intent"}]
        }
      ]
    }`,
    hash: '4d16a617da341f8b273e67b953eea5a6f1ef4a8548b8b434b5e90ce7733f42b5',
  },
];

const spec = (name: string): BoundSchemaSpec => {
  const vector = vectors.find((v) => v.name === name);
  if (vector === undefined) throw new Error(`no vector ${name}`);
  return specOf(vector.source, vector.informerScope);
};

describe('boundSchemaSpecJson and sourceSpecHash', () => {
  it.each(vectors)('$name', ({ source, informerScope, json, hash }) => {
    const s = specOf(source, informerScope);
    expect(boundSchemaSpecJson(s)).toBe(oneLine(json));
    expect(sourceSpecHash(s)).toBe(hash);
  });

  it('a single spec hashes like a list of one', () => {
    const s = spec('kcp-sheriffs');
    expect(sourceSpecHashOf([s])).toBe(sourceSpecHash(s));
  });

  it('hashes several specs as one digest over their encodings, in order (Go vectors)', () => {
    const widgets = spec('crd-widgets');
    const sheriffs = spec('kcp-sheriffs');
    expect(sourceSpecHashOf([widgets, sheriffs])).toBe(
      '32d1a1fe4a8d4902e81349d15da8b66e25e7ed800b489793b818ed6bd653cb13',
    );
    expect(sourceSpecHashOf([sheriffs, widgets])).toBe(
      '8d7e6d74d43dba5ee9d5b066471e3216b6a27c8832e9487ee7e03f2f6ae67eec',
    );
    // No schemas: the digest of nothing.
    expect(sourceSpecHashOf([])).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('does not depend on the key order of the schema or of the spec object', () => {
    const s = spec('kcp-sheriffs');
    const [version] = s.versions;
    if (version === undefined) throw new Error('no version');
    const reordered: BoundSchemaSpec = {
      versions: [{ ...version, schema: reverseKeys(version.schema) as Record<string, unknown> }],
      scope: s.scope,
      names: s.names,
      group: s.group,
      informerScope: s.informerScope,
    };
    expect(sourceSpecHash(reordered)).toBe(sourceSpecHash(s));
  });

  it('changes when the spec changes', () => {
    const s = spec('kcp-sheriffs');
    expect(sourceSpecHash({ ...s, informerScope: 'Namespaced' })).not.toBe(sourceSpecHash(s));
  });
});

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reverseKeys(v)]),
  );
}
