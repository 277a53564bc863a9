// Renders TypeScript interfaces from the schema builder's nodes (src/apis/schema/builder.ts).
// Objects named with `named()` become exported interfaces, and named string enums an exported
// union type plus the list of its values (each emitted once; two different shapes under one name
// are an error); other nodes are inlined. Optional fields are those not `required()`.
import type { Schema } from '../../src/apis/schema/builder.ts';

export class TypeRenderer {
  readonly #interfaces = new Map<string, { text: string; shape: string }>();

  /** The TypeScript type expression for `schema`, registering named interfaces on the way. */
  typeOf(schema: Schema, indent = ''): string {
    const values = enumValues(schema);
    if (schema.tsName && values) {
      this.#declareEnum(schema.tsName, values, schema.tsDoc ?? schema.description);
      return schema.tsName;
    }
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

  #declareEnum(name: string, values: readonly string[], description: string | undefined): void {
    const union = values.map((v) => `'${v}'`).join(' | ');
    const existing = this.#interfaces.get(name);
    if (existing) {
      if (existing.shape !== union) throw new Error(`two different enums are named ${name}`);
      return;
    }
    // The values as a list too, so code can check or offer them without restating them.
    const list = `${name.charAt(0).toLowerCase()}${name.slice(1)}Values`;
    const text =
      `${docComment(description, '')}export type ${name} = ${union};\n\n` +
      `/** Every value of \`${name}\`, in the CRD's order. */\n` +
      `export const ${list}: readonly ${name}[] = [${values.map((v) => `'${v}'`).join(', ')}];`;
    this.#interfaces.set(name, { text, shape: union });
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

/**
 * The values of a string enum: its own `enum`, or the first of an `allOf` of enums (the shape
 * upstream gives a scope with two enum markers; every member holds the same values).
 */
function enumValues(schema: Schema): readonly string[] | undefined {
  if (schema.type !== 'string') return undefined;
  return schema.enum ?? schema.allOf?.[0]?.enum;
}

function docComment(description: string | undefined, indent: string): string {
  if (!description) return '';
  return `${indent}/** ${description.replaceAll('*/', '*\\/')} */\n`;
}
