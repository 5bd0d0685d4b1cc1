import type { Problem } from "../model/problem.js";
import type { Contract } from "../model/types.js";
import { JETCONTRACT_VERSION } from "../version.js";
import { createContext } from "./context.js";
import { emitConsumers } from "./emit-consumers.js";
import { emitDescriptors } from "./emit-descriptors.js";
import { emitProducers } from "./emit-producers.js";
import { emitReadme } from "./emit-readme.js";
import { emitValidators } from "./emit-validators.js";
import { fileHeader, GENERATED_MARKER, GeneratedFile } from "./generated-file.js";
import { literalType, propertyName, safeDocText, safeLineComment, stringLiteral } from "./names.js";

/** One output file: a path relative to the output directory (`/` separators) and its text. */
export interface EmittedFile {
  readonly path: string;
  readonly content: string;
}

export interface EmitResult {
  readonly files: readonly EmittedFile[];
  /** Warnings about parts of the contract the generator could not express. */
  readonly problems: readonly Problem[];
}

export interface EmitOptions {
  /** Spec path as shown in file headers; `/` separators, stable across machines. */
  readonly source: string;
  /** Whether remote `$ref`s were allowed when loading (named in the header). */
  readonly allowRemoteRefs?: boolean;
}

/** Marks every file of the output folder as generated (collapsed in GitHub diffs, not counted). */
export const GITATTRIBUTES = ".gitattributes";

/**
 * Contract model → generated files, in memory. Pure: the same model and options give
 * byte-identical files.
 */
export function emitContract(contract: Contract, options: EmitOptions): EmitResult {
  const ctx = createContext(contract, options.source);
  const types = emitTypesModule(ctx);
  const [validators, compiled, exported] = emitValidators(ctx);
  const modules = [
    types,
    validators,
    compiled,
    emitDescriptors(ctx, exported),
    emitProducers(ctx),
    emitConsumers(ctx),
    emitIndex(),
  ];
  const header = fileHeader(
    options.source,
    `jetcontract ${JETCONTRACT_VERSION}, options: allowRemoteRefs=${options.allowRemoteRefs === true}`,
    `${contract.info.title} ${contract.info.version} (AsyncAPI ${contract.asyncapiVersion})`,
  );
  const files: EmittedFile[] = modules.map((m) => ({ path: m.path, content: m.render(header) }));
  files.push(emitReadme(ctx), {
    path: GITATTRIBUTES,
    content: `# ${GENERATED_MARKER} generate from ${safeLineComment(options.source)}. DO NOT EDIT.\n* linguist-generated=true\n`,
  });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, problems: ctx.problems };
}

function emitTypesModule(ctx: ReturnType<typeof createContext>): GeneratedFile {
  const file = new GeneratedFile("types.ts");
  const done = new Set<string>();
  const paramDecls = [];
  for (const op of ctx.operations) {
    if (!op.paramsType || done.has(op.paramsType)) continue;
    done.add(op.paramsType);
    paramDecls.push({
      kind: "interface" as const,
      name: op.paramsType,
      docs: [
        safeDocText(
          `Values of the \`{parameters}\` in the address of channel \`${op.channel.id}\` (\`${op.channel.address ?? ""}\`).`,
        ),
      ],
      properties: op.channel.parameters.map((p) => {
        const values = p.enum?.map((v) => literalType(v) ?? stringLiteral(String(v)));
        return {
          name: propertyName(p.name),
          type: values && values.length > 0 ? values.join(" | ") : "string",
          docs: p.description ? [safeDocText(p.description).replace(/\n/g, " ")] : [],
        };
      }),
    });
  }
  const declarations = ctx.types.declarations();
  if (declarations.length === 0 && paramDecls.length === 0) file.add("export {};");
  file.add(...declarations, ...paramDecls);
  return file;
}

function emitIndex(): GeneratedFile {
  const file = new GeneratedFile("index.ts");
  for (const module of ["consumers", "descriptors", "producers", "types", "validators"]) {
    file.add({ kind: "export-all", module: `./${module}.js` });
  }
  return file;
}
