/**
 * The helpers ajv's standalone validator code calls at run time, re-exported so generated
 * validators import them from `@jetcontract/runtime/internal` (a dependency users already have)
 * instead
 * of reaching into `ajv/dist/...` and `ajv-formats/dist/...`, which a package manager that does
 * not hoist dependencies (pnpm) keeps out of the user's reach. ajv and ajv-formats are
 * dependencies of jetcontract. Nothing here compiles a schema: no `eval`, no `new Function`.
 *
 * Which helper stands for which `require()` in ajv's output is the codegen's concern
 * (`src/codegen/emit-validators.ts`).
 */
import * as equalModule from "ajv/dist/runtime/equal.js";
import * as ucs2lengthModule from "ajv/dist/runtime/ucs2length.js";
import * as uriModule from "ajv/dist/runtime/uri.js";
import * as validationErrorModule from "ajv/dist/runtime/validation_error.js";
import * as formatsModule from "ajv-formats/dist/formats.js";

/**
 * `module.exports` of a CommonJS module from its namespace: under Node the namespace's
 * `default` is `module.exports`; bundlers may hand out the exports themselves.
 */
function commonJs<M>(ns: unknown): M {
  const d = (ns as { default?: { __esModule?: boolean } }).default;
  return (d?.__esModule ? d : ns) as M;
}

type DefaultOf<M> = M extends { default: infer D } ? D : never;

/** Length of a string in code points (ajv's `minLength`/`maxLength`). */
export const ajvUcs2length: (str: string) => number = commonJs<{
  default: (str: string) => number;
}>(ucs2lengthModule).default;

/** Deep equality (ajv's `const`, `enum` and `uniqueItems` on objects). */
export const ajvEqual: (a: unknown, b: unknown) => boolean = commonJs<{
  default: (a: unknown, b: unknown) => boolean;
}>(equalModule).default;

/** URI parser (ajv's `$id`/`$ref` resolution in `uri` format checks with `uriResolver`). */
export const ajvUri: DefaultOf<typeof uriModule> = commonJs<{
  default: DefaultOf<typeof uriModule>;
}>(uriModule).default;

/** The error an async validator rejects with. */
export const AjvValidationError: DefaultOf<typeof validationErrorModule> = commonJs<{
  default: DefaultOf<typeof validationErrorModule>;
}>(validationErrorModule).default;

/** ajv-formats' format definitions, `full` mode (the generator's). */
export const ajvFullFormats: typeof formatsModule.fullFormats =
  commonJs<typeof formatsModule>(formatsModule).fullFormats;

/** ajv-formats' format definitions, `fast` mode. */
export const ajvFastFormats: typeof formatsModule.fastFormats =
  commonJs<typeof formatsModule>(formatsModule).fastFormats;
