/**
 * Compatibility checking: structural diff of schemas and contracts, judged by a registry of
 * rules with a verdict per direction (see docs/diff.md).
 */
import type { CompatibilityMode, JsonSchema } from "../model/types.js";
import { judge } from "./report.js";
import { diffSchemas, type SchemaDiffOptions } from "./schema/index.js";
import type { ReportedChange } from "./types.js";

export { subjectCovers } from "../model/subjects.js";
export {
  CONFIG_FILE_NAME,
  type DiffConfig,
  findDiffConfig,
  loadDiffConfig,
  parseDiffConfig,
} from "./config.js";
export {
  type ContractVersion,
  diffContractHistory,
  diffContracts,
} from "./contract-diff.js";
export {
  CompatInputError,
  isCompatInputError,
  type PositionedDocument,
  parsePositioned,
} from "./document.js";
export {
  type DiffFilesOptions,
  type DiffSource,
  diffFiles,
  GitRevisionReader,
  sourceLabel,
} from "./files.js";
export {
  DIFF_FORMATS,
  type DiffFormat,
  escapeMarkdown,
  type FormatOptions,
  formatReport,
  summarizeReport,
} from "./format.js";
export { fails } from "./report.js";
export { isRuleId, RULES, type Rule, ruleById } from "./rules.js";
export { diffSchemas, type PositionLookup, type SchemaDiffOptions } from "./schema/index.js";
export * from "./types.js";

/**
 * Whether a new schema may replace an old one under a mode: `compatible` is false when some
 * change breaks a direction the mode checks. `changes` lists every change, judged.
 */
export function checkCompatibility(
  oldSchema: JsonSchema,
  newSchema: JsonSchema,
  mode: CompatibilityMode = "BACKWARD",
  options: SchemaDiffOptions = {},
): { compatible: boolean; changes: ReportedChange[] } {
  const changes = diffSchemas(oldSchema, newSchema, options).map((c) =>
    judge(c, { kind: "message", messageId: "schema", part: "payload" }, mode, "previous"),
  );
  return { compatible: !changes.some((c) => c.level === "error"), changes };
}
