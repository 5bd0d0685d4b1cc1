import type { ErrorObject } from "ajv";
import { closest, distance } from "fastest-levenshtein";
import { ALL_ANNOTATION_KEYS, type AnnotationOwner } from "../build.js";
import { joinPointer, unescapeSegment } from "../pointer.js";
import { DURATION_FORMS, SIZE_FORMS } from "../units.js";
import { annotationValidator } from "./annotation-schema.js";
import { type DocumentRule, documentRule, type Finding, type RuleContext } from "./types.js";

const DEFINITION_FOR: Record<AnnotationOwner["kind"], Record<string, string>> = {
  root: { "x-jetstream": "x-jetstream-root", "x-compatibility": "x-compatibility" },
  channel: { "x-jetstream": "x-jetstream-channel" },
  message: { "x-idempotency-key": "x-idempotency-key", "x-compatibility": "x-compatibility" },
  receive: {
    "x-consumer": "x-consumer",
    "x-retry": "x-retry",
    "x-dlq": "x-dlq",
    "x-dedup": "x-dedup",
    "x-circuit-breaker": "x-circuit-breaker",
    "x-monitor": "x-monitor",
  },
  send: { "x-publish": "x-publish" },
};

const PLACE: Record<string, string> = {
  "x-jetstream": "the root (streams) or a channel (its stream)",
  "x-compatibility": "the root or a message",
  "x-idempotency-key": "a message",
  "x-consumer": "a receive operation",
  "x-retry": "a receive operation",
  "x-dlq": "a receive operation",
  "x-dedup": "a receive operation",
  "x-circuit-breaker": "a receive operation",
  "x-monitor": "a receive operation",
  "x-publish": "a send operation",
};
const KIND_NAME: Record<AnnotationOwner["kind"], string> = {
  root: "the document root",
  channel: "a channel",
  message: "a message",
  receive: "a receive operation",
  send: "a send operation",
};

/** A close known name, for "did you mean". */
function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(word, candidates);
  const d = distance(word.toLowerCase(), best.toLowerCase());
  const stem = (w: string) => w.replace(/^x-/, "").toLowerCase();
  const related = stem(best).includes(stem(word)) || stem(word).includes(stem(best));
  if (d <= 2 || (d <= 3 && word.length >= 9) || (related && d <= 4 && stem(word).length >= 4)) {
    return best;
  }
  // A word that is part of one of ours, or the other way round (`x-breaker`, `x-compat`).
  return candidates.find((c) => {
    const [a, b] = [stem(word), stem(c)];
    return Math.min(a.length, b.length) >= 6 && (a.includes(b) || b.includes(a));
  });
}

/** Names people reach for that mean one of ours. */
const ALIASES: Record<string, string> = {
  "x-dead-letter": "x-dlq",
  "x-deadletter": "x-dlq",
  "x-dead-letter-queue": "x-dlq",
  "x-backoff": "x-retry",
  "x-deduplication": "x-dedup",
  "x-idempotency-keys": "x-idempotency-key",
  "x-stream": "x-jetstream",
};

function suggestAnnotation(key: string): string | undefined {
  return ALIASES[key.toLowerCase()] ?? suggest(key, ALL_ANNOTATION_KEYS);
}

function* annotationErrors(ctx: RuleContext): Iterable<Finding> {
  for (const owner of ctx.notes.owners) {
    const defs = DEFINITION_FOR[owner.kind];
    for (const [key, value] of Object.entries(owner.value)) {
      const definition = defs[key];
      if (!definition) continue;
      const validate = annotationValidator(definition);
      if (validate(value)) continue;
      const base = joinPointer(owner.pointer, key);
      for (const error of simplify(validate.errors ?? [])) {
        const pointer = base + error.instancePath;
        yield {
          message: describe(key, error),
          location: ctx.ws.locateKey(
            owner.absolutePath,
            error.keyword === "additionalProperties"
              ? joinPointer(pointer, String(error.params.additionalProperty))
              : pointer,
          ),
        };
      }
    }
  }
}

function* unknownKeys(ctx: RuleContext): Iterable<Finding> {
  for (const owner of ctx.notes.owners) {
    for (const key of Object.keys(owner.value)) {
      if (!key.startsWith("x-") || ALL_ANNOTATION_KEYS.includes(key)) continue;
      const near = suggestAnnotation(key);
      if (!near) continue; // someone else's extension
      yield {
        message: `unknown annotation \`${key}\`; did you mean \`${near}\`?`,
        location: ctx.ws.locateKey(owner.absolutePath, joinPointer(owner.pointer, key)),
      };
    }
  }
}

function* misplaced(ctx: RuleContext): Iterable<Finding> {
  for (const owner of ctx.notes.owners) {
    const defs = DEFINITION_FOR[owner.kind];
    for (const key of Object.keys(owner.value)) {
      if (!ALL_ANNOTATION_KEYS.includes(key) || defs[key]) continue;
      yield {
        message: `\`${key}\` belongs on ${PLACE[key]}, not on ${KIND_NAME[owner.kind]}; it would be ignored here`,
        location: ctx.ws.locateKey(owner.absolutePath, joinPointer(owner.pointer, key)),
      };
    }
  }
}

/** Drops errors that only echo another: `if`, and branches of an `anyOf` reported as a whole. */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const anyOfPaths = errors.filter((e) => e.keyword === "anyOf").map((e) => e.schemaPath);
  return errors.filter(
    (e) =>
      e.keyword !== "if" &&
      !anyOfPaths.some((p) => e.keyword !== "anyOf" && e.schemaPath.startsWith(`${p}/`)),
  );
}

function describe(annotation: string, e: ErrorObject): string {
  const field = `\`${annotation}${e.instancePath
    .split("/")
    .slice(1)
    .map((segment) => `.${unescapeSegment(segment)}`)
    .join("")}\``;
  const shown = show(e.data);
  if (
    e.schemaPath.includes("/definitions/duration/") ||
    (e.parentSchema as { $ref?: string } | undefined)?.$ref === "#/definitions/duration"
  ) {
    return `${field}: ${shown} is not a duration; use ${DURATION_FORMS}`;
  }
  if (
    e.schemaPath.includes("/definitions/size/") ||
    (e.keyword === "anyOf" && e.schemaPath.includes("size"))
  ) {
    return `${field}: ${shown} is not a size; use ${SIZE_FORMS}`;
  }
  switch (e.keyword) {
    case "additionalProperties": {
      const prop = String(e.params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const near = suggest(prop, allowed);
      return `unknown key \`${prop}\` in ${field}${near ? `; did you mean \`${near}\`?` : `; known keys: ${allowed.join(", ")}`}`;
    }
    case "enum": {
      const allowed = ((e.params.allowedValues as unknown[]) ?? []).map(String);
      const near = typeof e.data === "string" ? suggest(e.data, allowed) : undefined;
      return `${field}: ${shown} is not one of ${allowed.join(", ")}${near ? `; did you mean \`${near}\`?` : ""}`;
    }
    case "const":
      return `${field} must be ${show(e.params.allowedValue)}`;
    case "required":
      return `${field} needs \`${String(e.params.missingProperty)}\``;
    case "type":
      return `${field}: ${shown} must be ${article(String(e.params.type))}`;
    case "false schema":
      return `${field} does not apply here (see the \`store\` it belongs to)`;
    case "anyOf":
      if (annotation === "x-idempotency-key") {
        return `${field}: ${shown} must be a runtime expression like \`$message.payload#/orderId\`, a list of them, or { parts, separator }`;
      }
      return `${field}: ${shown} does not match any accepted form`;
    default:
      return `${field} ${e.message ?? "is invalid"}`;
  }
}

function article(type: string): string {
  const t = type.replace(/,/g, " or ");
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export const annotationRules: DocumentRule[] = [
  documentRule({
    id: "jc-annotation-invalid",
    severity: "error",
    pass: "annotations",
    purpose:
      "Annotation values match the vocabulary's JSON Schema (types, enums, durations, sizes, known keys).",
    check: annotationErrors,
  }),
  documentRule({
    id: "jc-annotation-unknown",
    severity: "error",
    pass: "annotations",
    purpose:
      "An `x-` key that is a near miss of a jetcontract annotation is a typo, not someone else's extension.",
    check: unknownKeys,
  }),
  documentRule({
    id: "jc-annotation-misplaced",
    severity: "error",
    pass: "annotations",
    purpose: "Annotations are read only where they apply (e.g. `x-retry` on a receive operation).",
    check: misplaced,
  }),
];
