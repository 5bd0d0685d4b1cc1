import { literalType, propertyName, stringLiteral } from "./names.js";

/**
 * An expression the generator built itself from safe parts (an identifier it claimed, an
 * arrow function over safe accessors). Only `Code` is written verbatim by `dataLiteral`;
 * every other value is printed as a literal.
 */
export class Code {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export function code(text: string): Code {
  return new Code(text);
}

/** Plain data (objects, arrays, strings, numbers, booleans, null, `Code`) as a TS expression. */
export function dataLiteral(value: unknown, indent = ""): string {
  if (value instanceof Code) return value.text;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((v) => dataLiteral(v, indent));
    const oneLine = `[${items.join(", ")}]`;
    if (oneLine.length <= 80 && !oneLine.includes("\n")) return oneLine;
    const inner = `${indent}  `;
    return `[\n${value.map((v) => `${inner}${dataLiteral(v, inner)},`).join("\n")}\n${indent}]`;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "{}";
    const inner = `${indent}  `;
    const lines = entries.map(([k, v]) => `${inner}${propertyName(k)}: ${dataLiteral(v, inner)},`);
    return `{\n${lines.join("\n")}\n${indent}}`;
  }
  if (typeof value === "string") return stringLiteral(value);
  const lit = literalType(value);
  if (lit === undefined) throw new TypeError(`cannot print ${typeof value} as a literal`);
  return lit;
}
