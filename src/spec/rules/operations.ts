/** Operations as `generate` sees them, and documents that use no annotations at all. */
import { notGeneratedBecause, sharedIdempotencyKey } from "../../model/operations.js";
import { messagesOf } from "./context.js";
import { modelRule } from "./types.js";

export const operationNotGenerated = modelRule({
  id: "jc-operation-not-generated",
  severity: "warning",
  also: ["generate"],
  purpose: "Every operation gets a publisher or a consumer; `generate` skips one it cannot wire.",
  *check(ctx) {
    for (const op of ctx.contract.operations) {
      const why = notGeneratedBecause(ctx.contract, op);
      if (why === undefined) continue;
      yield {
        message: `no ${op.action === "send" ? "publisher" : "consumer"} is generated for operation \`${op.id}\`: ${why}`,
        location: op.location,
      };
    }
  },
});

export const mixedIdempotencyKeys = modelRule({
  id: "jc-operation-mixed-idempotency-keys",
  severity: "warning",
  also: ["generate"],
  purpose:
    "The messages of one operation share one idempotency key, so generated code can derive `Nats-Msg-Id`.",
  *check(ctx) {
    for (const op of ctx.contract.operations) {
      const messages = messagesOf(ctx, op);
      if (messages.length < 2 || sharedIdempotencyKey(messages) !== "mixed") continue;
      yield {
        message: `operation \`${op.id}\` carries messages with different idempotency keys; the operation's descriptor derives none (pass msgId when publishing)`,
        location: op.location,
      };
    }
  },
});

export const noAnnotations = modelRule({
  id: "jc-no-annotations",
  severity: "info",
  purpose: "A document without jetcontract annotations is reported as plain AsyncAPI.",
  *check(ctx) {
    if (ctx.usesJetcontract || ctx.contract.operations.length === 0) return;
    yield {
      message:
        "the document has no jetcontract annotations (`x-jetstream`, `x-consumer`, ...); it was checked as plain AsyncAPI",
      location: ctx.contract.location,
    };
  },
});

export const operationRules = [operationNotGenerated, mixedIdempotencyKeys, noAnnotations];
