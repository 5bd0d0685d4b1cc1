import type { Problem } from "../model/problem.js";
import type { Contract } from "../model/types.js";
import { createContext } from "./context.js";
import { emitConsumers } from "./emit-consumers.js";
import { emitDescriptors } from "./emit-descriptors.js";
import { emitProducers } from "./emit-producers.js";
import { emitReadme } from "./emit-readme.js";
import { emitValidators } from "./emit-validators.js";
import { fileHeader, GeneratedFile } from "./generated-file.js";
import { literalType, propertyName, safeDocText, stringLiteral } from "./names.js";

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
}

/**
 * Contract model → generated files, in memory. Pure: the same model and options give
 * byte-identical files.
 */
export function emitContract(contract: Contract, options: EmitOptions): EmitResult {
  const ctx = createContext(contract, options.source);
  const types = emitTypesModule(ctx);
  const [validators, compiled] = emitValidators(ctx);
  const modules = [
    types,
    validators,
    compiled,
    emitDescriptors(ctx),
    emitProducers(ctx),
    emitConsumers(ctx),
    emitIndex(),
  ];
  const header = fileHeader(
    options.source,
    `${contract.info.title} ${contract.info.version} (AsyncAPI ${contract.asyncapiVersion})`,
  );
  const files: EmittedFile[] = modules.map((m) => ({ path: m.path, content: m.render(header) }));
  files.push(emitReadme(ctx));
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
    const members = op.channel.parameters.map((p) => {
      const values = p.enum?.map((v) => literalType(v) ?? stringLiteral(String(v)));
      const doc = p.description
        ? `  /** ${safeDocText(p.description).replace(/\n/g, " ")} */\n`
        : "";
      return `${doc}  ${propertyName(p.name)}: ${values && values.length > 0 ? values.join(" | ") : "string"};`;
    });
    paramDecls.push({
      kind: "type" as const,
      name: op.paramsType,
      docs: [
        safeDocText(
          `Values of the \`{parameters}\` in the address of channel \`${op.channel.id}\` (\`${op.channel.address ?? ""}\`).`,
        ),
      ],
      type: `{\n${members.join("\n")}\n}`,
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
