import { B, C, schemaRule } from "../../rule.js";
import type { Check } from "./check.js";
import { compareStringKeyword } from "./string-keyword.js";

/**
 * `contentMediaType`, `contentEncoding`, `contentSchema`: annotations in JSON Schema, treated
 * like `format` (breaking by default; see the `format` setting).
 */

export const rules = [
  schemaRule({
    id: "content-added",
    purpose: "A `contentMediaType` or `contentEncoding` was added (see the `format` setting).",
    annotation: true,
    backward: B,
    forward: C,
    mirror: "content-removed",
    fix: "drop the content keyword, or set `format: warn` if readers do not decode content",
  }),
  schemaRule({
    id: "content-removed",
    purpose: "A `contentMediaType` or `contentEncoding` was removed.",
    annotation: true,
    backward: C,
    forward: B,
    mirror: "content-added",
    fix: "keep the content keyword, or set `format: warn` if readers do not decode content",
  }),
  schemaRule({
    id: "content-changed",
    purpose: "`contentMediaType`, `contentEncoding` or `contentSchema` changed.",
    annotation: true,
    backward: B,
    forward: B,
    mirror: "content-changed",
    fix: "keep the old content keywords, or set `format: warn` if readers do not decode content",
  }),
] as const;

export const content: Check = {
  keywords: ["contentMediaType", "contentEncoding", "contentSchema"],
  compare(walk, pair) {
    if (!pair.applies(["string"])) return;
    compareStringKeyword(walk, pair, "contentMediaType", "content");
    compareStringKeyword(walk, pair, "contentEncoding", "content");
    const { o, n, oNode, nNode, path } = pair;
    const at = `${path}/contentSchema`;
    const same = walk.sameValues(
      walk.optChild("old", o, oNode.contentSchema, "/contentSchema", at),
      walk.optChild("new", n, nNode.contentSchema, "/contentSchema", at),
    );
    if (!same) {
      walk.emit("content-changed", at, "contentSchema changed", "new", n, "/contentSchema");
    }
  },
};
