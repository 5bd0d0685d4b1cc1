/**
 * The declarations generated code is made of, and the one printer that writes them.
 *
 * Generated modules are a handful of shapes (exported interfaces, type aliases, constants,
 * functions, re-exports), so they are printed here directly rather than through a
 * TypeScript compiler API: loading and formatting through one cost more than the rest of
 * code generation together. Emitters build these plain structures; only the printer decides
 * layout (indentation, blank lines, line breaks), so every file reads the same.
 * Type and initializer text comes from emitters already indented for column 0 (see
 * `emit-types.ts`, `literal.ts`); the printer only shifts it to where it sits.
 */

/** Doc comment paragraphs; text already made comment-safe (`safeDocText`). */
export type Docs = readonly string[];

export interface PropertySignature {
  readonly name: string;
  readonly type: string;
  readonly optional?: boolean;
  readonly readonly?: boolean;
  readonly docs?: Docs;
}

export interface Parameter {
  readonly name: string;
  readonly type: string;
  readonly optional?: boolean;
}

export interface MethodSignature {
  readonly name: string;
  readonly parameters: readonly Parameter[];
  readonly returnType: string;
  readonly docs?: Docs;
}

export interface InterfaceDeclaration {
  readonly kind: "interface";
  readonly name: string;
  readonly docs?: Docs;
  readonly properties?: readonly PropertySignature[];
  readonly methods?: readonly MethodSignature[];
  /** `[key: string]: <type>`. */
  readonly indexType?: string;
}

export interface TypeAliasDeclaration {
  readonly kind: "type";
  readonly name: string;
  readonly docs?: Docs;
  readonly type: string;
}

export interface ConstDeclaration {
  readonly kind: "const";
  readonly name: string;
  readonly docs?: Docs;
  readonly type?: string;
  readonly initializer: string;
}

export interface FunctionDeclaration {
  readonly kind: "function";
  readonly name: string;
  readonly docs?: Docs;
  readonly parameters: readonly Parameter[];
  readonly returnType: string;
  /** Body statements, each possibly several lines (indented for column 0). */
  readonly statements: readonly string[];
}

export interface ReExport {
  readonly kind: "export-all";
  readonly module: string;
}

/** Every generated declaration is exported: the index re-exports each module whole. */
export type Declaration =
  | InterfaceDeclaration
  | TypeAliasDeclaration
  | ConstDeclaration
  | FunctionDeclaration
  | ReExport;

/** A top-level statement: a declaration, or verbatim text the emitter built from safe parts. */
export type Statement = Declaration | string;

/**
 * An import of named symbols (`typeOnly` per name; all type-only → `import type`), or of a
 * whole module under `namespace`.
 */
export interface ImportSpec {
  readonly module: string;
  readonly names: readonly { readonly name: string; readonly typeOnly: boolean }[];
  readonly namespace?: string;
}

/** Lines longer than this are broken the way Prettier and Biome break them by default. */
export const LINE_WIDTH = 80;

const INDENT = "  ";

/** Adds `indent` to every non-empty line of `text` after the first. */
function shift(text: string, indent: string): string {
  return text.replace(/\n(?=[^\n])/g, `\n${indent}`);
}

/** A JSDoc block at `indent`: one line for one short paragraph, else one ` * ` line each. */
export function printDocs(docs: Docs | undefined, indent = ""): string {
  if (!docs || docs.length === 0) return "";
  const text = docs.join("\n\n").replace(/^\n+/, "");
  if (text === "") return "";
  if (!text.includes("\n")) return `${indent}/** ${text} */\n`;
  const lines = text.split("\n").map((l) => (l === "" ? `${indent} *` : `${indent} * ${l}`));
  return `${indent}/**\n${lines.join("\n")}\n${indent} */\n`;
}

/**
 * `open` + items + `close` on one line when it fits in `LINE_WIDTH` from `indent`, else one
 * item a line with a trailing comma (the layout formatters produce).
 */
function list(
  indent: string,
  open: string,
  items: readonly string[],
  close: string,
  pad = "",
): string {
  const flat = `${open}${pad}${items.join(", ")}${pad}${close}`;
  if (items.length === 0 || (indent.length + flat.length <= LINE_WIDTH && !flat.includes("\n")))
    return flat;
  const inner = `${indent}${INDENT}`;
  return `${open}\n${items.map((i) => `${inner}${shift(i, INDENT)},`).join("\n")}\n${indent}${close}`;
}

function printParameters(
  indent: string,
  head: string,
  parameters: readonly Parameter[],
  tail: string,
): string {
  const items = parameters.map((p) => `${p.name}${p.optional ? "?" : ""}: ${p.type}`);
  return list(indent, `${head}(`, items, `)${tail}`);
}

function printImport(spec: ImportSpec): string {
  const from = ` from ${JSON.stringify(spec.module)};`;
  if (spec.namespace !== undefined) return `import * as ${spec.namespace}${from}`;
  const allTypes = spec.names.every((n) => n.typeOnly);
  const names = spec.names.map((n) => (!allTypes && n.typeOnly ? `type ${n.name}` : n.name));
  return list("", `import ${allTypes ? "type " : ""}{`, names, `}${from}`, " ");
}

function printInterface(d: InterfaceDeclaration): string {
  const members: string[] = [];
  if (d.indexType !== undefined) members.push(`${INDENT}[key: string]: ${d.indexType};`);
  for (const p of d.properties ?? []) {
    members.push(
      `${printDocs(p.docs, INDENT)}${INDENT}${p.readonly ? "readonly " : ""}${p.name}${p.optional ? "?" : ""}: ${p.type};`,
    );
  }
  for (const m of d.methods ?? []) {
    members.push(
      `${printDocs(m.docs, INDENT)}${INDENT}${printParameters(INDENT, m.name, m.parameters, `: ${m.returnType};`)}`,
    );
  }
  const body = members.length === 0 ? "{\n}" : `{\n${members.join("\n")}\n}`;
  return `export interface ${d.name} ${body}`;
}

function printDeclaration(d: Declaration): string {
  switch (d.kind) {
    case "interface":
      return `${printDocs(d.docs)}${printInterface(d)}`;
    case "type":
      return `${printDocs(d.docs)}export type ${d.name} = ${d.type};`;
    case "const": {
      const head = `export const ${d.name}${d.type !== undefined ? `: ${d.type}` : ""} =`;
      const oneLine = `${head} ${d.initializer};`;
      // A long one-line initializer goes on the next line, indented.
      const text =
        oneLine.length > LINE_WIDTH && !d.initializer.includes("\n")
          ? `${head}\n${INDENT}${d.initializer};`
          : oneLine;
      return `${printDocs(d.docs)}${text}`;
    }
    case "function": {
      const body = d.statements.map((s) => `${INDENT}${shift(s, INDENT)}`).join("\n");
      const signature = printParameters(
        "",
        `export function ${d.name}`,
        d.parameters,
        `: ${d.returnType} {`,
      );
      return `${printDocs(d.docs)}${signature}\n${body}\n}`;
    }
    case "export-all":
      return `export * from ${JSON.stringify(d.module)};`;
  }
}

/** Block-like declarations get a blank line around them; one-liners sit together. */
function isBlock(s: Statement): boolean {
  return typeof s !== "string" && (s.kind === "interface" || s.kind === "function");
}

/** The module text after the header: imports, a blank line, then the statements. */
export function printModule(
  imports: readonly ImportSpec[],
  statements: readonly Statement[],
): string {
  const parts: string[] = [];
  let previous: Statement | undefined;
  for (const s of statements) {
    const text = typeof s === "string" ? s : printDeclaration(s);
    // A blank line between blocks and before any documented declaration.
    const separated =
      previous !== undefined && (isBlock(s) || isBlock(previous) || text.startsWith("/**"));
    parts.push(`${separated ? "\n" : ""}${text}\n`);
    previous = s;
  }
  const head = imports.map(printImport).join("\n");
  const body = parts.join("");
  return head === "" ? body : `${head}\n\n${body}`;
}
