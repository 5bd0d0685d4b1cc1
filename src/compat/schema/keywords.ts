import type { JsonSchema } from "../../model/types.js";
import { isObj, type Obj } from "./json.js";

/** Keywords that never change which values a schema accepts. */
const ANNOTATIONS = new Set([
  "title",
  "description",
  "default",
  "examples",
  "example",
  "$comment",
  "$id",
  "id",
  "$schema",
  "readOnly",
  "writeOnly",
  "deprecated",
  "definitions",
  "$defs",
  "$anchor",
  "$dynamicAnchor",
  "$vocabulary",
  "discriminator",
  "externalDocs",
  "xml",
]);

export function isAnnotation(key: string): boolean {
  return ANNOTATIONS.has(key) || key.startsWith("x-");
}

/** The keywords of a schema object that constrain values. */
export function constraintKeys(node: Obj): string[] {
  return Object.keys(node).filter((k) => !isAnnotation(k));
}

/** A schema that accepts every value (`true`, or an object of annotations only). */
export function isTrivial(node: JsonSchema): boolean {
  if (node === true) return true;
  if (!isObj(node)) return false;
  return Object.keys(node).every((k) => isAnnotation(k));
}
