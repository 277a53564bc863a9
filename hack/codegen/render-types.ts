// Renders TypeScript interfaces from the schema builder's nodes (src/apis/schema/builder.ts).
// Nodes named with `named()` become exported interfaces (emitted once; two different shapes under
// one name are an error); other objects are inlined. Optional fields are those not `required()`.
import type { Schema } from '../../src/apis/schema/builder.ts';

export class TypeRenderer {
  readonly #interfaces = new Map<string, { text: string; shape: string }>();

  /** The TypeScript type expression for `schema`, registering named interfaces on the way. */
  typeOf(schema: Schema, indent = ''): string {
    if (schema.tsType) return schema.tsType;
    if (schema.tsName && schema.type === 'object') {
      this.#declare(schema.tsName, schema);
      return schema.tsName;
    }
    return this.#anonymous(schema, indent);
  }

  /** Every interface registered so far, in registration order. */
  declarations(): string[] {
    return [...this.#interfaces.values()].map((entry) => entry.text);
  }

  /** Declares an interface directly (e.g. a kind) with the given members. */
  declareRaw(name: string, text: string): void {
    this.#interfaces.set(name, { text, shape: text });
  }

  #declare(name: string, schema: Schema): void {
    // Two uses of a name must render the same type (their descriptions and rules may differ).
    const body = this.#members(schema, '');
    const existing = this.#interfaces.get(name);
    if (existing) {
      if (existing.shape !== body) throw new Error(`two different schemas are named ${name}`);
      return;
    }
    const doc = docComment(schema.description, '');
    const text = body.startsWith('{')
      ? `${doc}export interface ${name} ${body}`
      : `${doc}export type ${name} = ${body};`;
    this.#interfaces.set(name, { text, shape: body });
  }

  #anonymous(schema: Schema, indent: string): string {
    if (schema['x-kubernetes-int-or-string']) return 'number | string';
    switch (schema.type) {
      case 'string':
        return schema.enum ? schema.enum.map((v) => `'${v}'`).join(' | ') : 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array': {
        const item = this.typeOf(schema.items ?? {}, indent);
        return /[|&]/.test(item) ? `(${item})[]` : `${item}[]`;
      }
      case 'object':
        if (schema.properties && Object.keys(schema.properties).length > 0) {
          return this.#members(schema, indent);
        }
        if (schema.additionalProperties) {
          return `Record<string, ${this.typeOf(schema.additionalProperties, indent)}>`;
        }
        return 'Record<string, unknown>';
      default:
        return 'unknown';
    }
  }

  #members(schema: Schema, indent: string): string {
    const inner = `${indent}  `;
    const lines = Object.entries(schema.properties ?? {}).map(([key, child]) => {
      const optional = schema.required?.includes(key) ? '' : '?';
      const doc = docComment(child.description, inner);
      return `${doc}${inner}${key}${optional}: ${this.typeOf(child, inner)};`;
    });
    return lines.length === 0 ? 'Record<string, never>' : `{\n${lines.join('\n')}\n${indent}}`;
  }
}

function docComment(description: string | undefined, indent: string): string {
  if (!description) return '';
  return `${indent}/** ${description.replaceAll('*/', '*\\/')} */\n`;
}
