/** Retry, circuit breaker and publish policies: settings that contradict each other. */

import { maxBackoffDelayMs } from "@jetcontract/runtime/internal";
import type { Operation, RetryPolicy } from "../../model/types.js";
import { isRecord } from "../pointer.js";
import { ms, plural, raw, receives, sends } from "./context.js";
import { documentRule, type ModelContext, modelRule, type RuleContext } from "./types.js";

/** Every written retry policy: `x-retry`, and `x-publish.retry` when it is given. */
function* retryPolicies(ctx: RuleContext) {
  for (const op of ctx.contract.operations) {
    if (op.action === "receive" && op.annotated.includes("x-retry"))
      yield { op, retry: op.retry, key: "x-retry", segments: [] as string[] };
    if (
      op.action === "send" &&
      op.publish &&
      isRecord(raw(ctx, "x-publish", "operation", op.id).retry)
    )
      yield { op, retry: op.publish.retry, key: "x-publish", segments: ["retry"] };
  }
}

export const delaysExceedAttempts = documentRule({
  id: "jc-retry-delays-exceed-attempts",
  severity: "error",
  purpose: "Explicit retry delays are not more than the retries (`maxAttempts - 1`).",
  *check(ctx) {
    for (const { op, retry, key, segments } of retryPolicies(ctx)) {
      const delays = retry.delaysMs;
      if (!delays || delays.length <= retry.maxAttempts - 1) continue;
      yield {
        message: `\`${op.id}\` lists ${plural(delays.length, "delay")} but maxAttempts ${retry.maxAttempts} allows only ${plural(retry.maxAttempts - 1, "retry", "retries")}; the extra delays are never used`,
        location: ctx.locate(key, "operation", op.id, retry.location, ...segments, "delays"),
      };
    }
  },
});

/** Fields that shape a computed backoff, which explicit `delays` replace. */
const COMPUTED_BACKOFF_FIELDS = ["strategy", "initialDelay", "maxDelay", "multiplier", "jitter"];

export const delaysWithStrategy = documentRule({
  id: "jc-retry-delays-with-strategy",
  severity: "error",
  purpose:
    "A retry policy gives either explicit `delays` or a computed backoff (`strategy`, `initialDelay`, `maxDelay`, `multiplier`, `jitter`), not both.",
  *check(ctx) {
    for (const { op, key, segments } of retryPolicies(ctx)) {
      const written = raw(ctx, key, "operation", op.id);
      const policy = segments.length > 0 && isRecord(written.retry) ? written.retry : written;
      if (policy.delays === undefined) continue;
      const ignored = COMPUTED_BACKOFF_FIELDS.filter((f) => policy[f] !== undefined);
      if (ignored.length === 0) continue;
      yield {
        message: `\`${op.id}\` gives explicit \`delays\` and ${ignored.map((f) => `\`${f}\``).join(", ")}: the delays are used as written and ${ignored.length === 1 ? "that field is" : "those fields are"} ignored; keep one or the other`,
        location: ctx.locate(
          key,
          "operation",
          op.id,
          op.location,
          ...segments,
          ignored[0] as string,
        ),
      };
    }
  },
});

export const maxDelayBelowInitial = documentRule({
  id: "jc-retry-max-delay-below-initial",
  severity: "error",
  purpose: "A retry's maxDelay is not shorter than its initialDelay.",
  *check(ctx) {
    for (const { op, retry, key, segments } of retryPolicies(ctx)) {
      if (retry.delaysMs || retry.maxDelayMs >= retry.initialDelayMs) continue;
      yield {
        message: `\`${op.id}\`: maxDelay ${ms(retry.maxDelayMs)} is shorter than initialDelay ${ms(retry.initialDelayMs)}`,
        location: ctx.locate(key, "operation", op.id, retry.location, ...segments, "maxDelay"),
      };
    }
  },
});

export const breakerRatio = modelRule({
  id: "jc-breaker-ratio-range",
  severity: "error",
  purpose: "A circuit breaker's failureRatio is in (0, 1].",
  *check(ctx) {
    for (const op of receives(ctx)) {
      const b = op.circuitBreaker;
      if (b?.open.kind !== "ratio") continue;
      const r = b.open.failureRatio;
      if (r > 0 && r <= 1) continue;
      yield {
        message: `\`${op.id}\`: failureRatio ${r} must be above 0 and at most 1 (e.g. 0.5 for half the calls)`,
        location: ctx.locate("x-circuit-breaker", "operation", op.id, b.location, "failureRatio"),
      };
    }
  },
});

export const breakerConflicting = documentRule({
  id: "jc-breaker-conflicting",
  severity: "error",
  purpose:
    "A circuit breaker opens on consecutive failures or on a failure ratio, not both; window/minCalls need a ratio.",
  *check(ctx) {
    for (const op of receives(ctx)) {
      const r = raw(ctx, "x-circuit-breaker", "operation", op.id);
      const loc = (k: string) =>
        ctx.locate("x-circuit-breaker", "operation", op.id, op.location, k);
      if (r.consecutiveFailures !== undefined && r.failureRatio !== undefined) {
        yield {
          message: `\`${op.id}\`: set either consecutiveFailures or failureRatio, not both`,
          location: loc("failureRatio"),
        };
      } else if (r.failureRatio === undefined) {
        for (const k of ["window", "minCalls"]) {
          if (r[k] === undefined) continue;
          yield {
            message: `\`${op.id}\`: \`${k}\` applies only with failureRatio`,
            location: loc(k),
          };
        }
      }
    }
  },
});

export const publishTimeoutAboveDeadline = modelRule({
  id: "jc-publish-timeout-above-deadline",
  severity: "warning",
  purpose: "A publish attempt's timeout fits in the overall deadline.",
  *check(ctx) {
    for (const op of sends(ctx)) {
      const p = op.publish;
      if (!p || p.timeoutMs <= p.deadlineMs) continue;
      yield {
        message: `\`${op.id}\`: publish timeout ${ms(p.timeoutMs)} is longer than the deadline ${ms(p.deadlineMs)}, so no attempt can use its full timeout`,
        location: ctx.locate("x-publish", "operation", op.id, p.location, "deadline"),
      };
    }
  },
});

/** The longest a publish's retries can wait in all when every attempt fails at once. */
export function retrySpanMs(retry: RetryPolicy): number {
  let total = 0;
  for (let n = 1; n < retry.maxAttempts; n++) total += maxBackoffDelayMs(retry, n);
  return total;
}

export const publishAttemptsShortOfDeadline = documentRule({
  id: "jc-publish-attempts-short-of-deadline",
  severity: "warning",
  purpose:
    "Publish retries can last until the deadline when the server answers at once (no responders, e.g. during a leader election).",
  *check(ctx) {
    for (const op of sends(ctx)) {
      const p = op.publish;
      const written = raw(ctx, "x-publish", "operation", op.id);
      // Only a deadline or retry the contract states; the defaults are the runtime's to keep consistent.
      if (!p || (written.deadline === undefined && written.retry === undefined)) continue;
      const span = retrySpanMs(p.retry);
      if (span >= p.deadlineMs) continue;
      yield {
        message: `\`${op.id}\`: when the server answers at once ("no responders", as during a leader election), ${plural(p.retry.maxAttempts, "attempt")} are spent after ${ms(span)} of waiting, long before the ${ms(p.deadlineMs)} deadline; raise retry.maxAttempts or the delays, or shorten the deadline`,
        location: ctx.locate(
          "x-publish",
          "operation",
          op.id,
          p.location,
          ...(isRecord(written.retry) ? ["retry", "maxAttempts"] : ["deadline"]),
        ),
      };
    }
  },
});

const DURATIONS: [string, string, (op: Operation) => number | undefined][] = [
  ["x-consumer", "ackWait", (op) => (op.action === "receive" ? op.consumer?.ackWaitMs : undefined)],
  [
    "x-consumer",
    "handlerTimeout",
    (op) => (op.action === "receive" ? op.consumer?.handlerTimeoutMs : undefined),
  ],
  ["x-publish", "timeout", (op) => (op.action === "send" ? op.publish?.timeoutMs : undefined)],
  ["x-publish", "deadline", (op) => (op.action === "send" ? op.publish?.deadlineMs : undefined)],
  [
    "x-circuit-breaker",
    "halfOpenAfter",
    (op) => (op.action === "receive" ? op.circuitBreaker?.halfOpenAfterMs : undefined),
  ],
];

export const zeroDurations = modelRule({
  id: "jc-duration-zero",
  severity: "error",
  also: ["streams"],
  purpose: "Timeouts and waits are positive durations.",
  *check(ctx: ModelContext) {
    for (const op of ctx.contract.operations) {
      for (const [key, field, get] of DURATIONS) {
        if (get(op) !== 0) continue;
        yield {
          message: `\`${op.id}\`: \`${key}.${field}\` is zero; it must be a positive duration`,
          location: ctx.locate(key, "operation", op.id, op.location, field),
        };
      }
    }
  },
});

export const policyRules = [
  delaysExceedAttempts,
  delaysWithStrategy,
  maxDelayBelowInitial,
  breakerRatio,
  breakerConflicting,
  publishTimeoutAboveDeadline,
  publishAttemptsShortOfDeadline,
  zeroDurations,
];
