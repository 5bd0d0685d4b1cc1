import { readFileSync } from "node:fs";
import Handlebars from "handlebars";
import type { CodegenContext, ReceivePlan, SendPlan } from "./context.js";
import type { EmittedFile } from "./emit.js";
import { GENERATED_MARKER } from "./generated-file.js";
import { literalType, propertyName, safeLineComment, stringLiteral, toValueName } from "./names.js";

/** The README of the generated folder, from `templates/codegen/README.md.hbs`. */
export const README_TEMPLATE = new URL("../../templates/codegen/README.md.hbs", import.meta.url);

let compiled: Handlebars.TemplateDelegate | undefined;

function template(): Handlebars.TemplateDelegate {
  if (compiled) return compiled;
  const hbs = Handlebars.create();
  hbs.registerHelper("md", (text: unknown) => escapeMarkdownInline(String(text ?? "")));
  hbs.registerHelper("mdBlock", (text: unknown) => escapeMarkdownBlock(String(text ?? "")));
  hbs.registerHelper("code", (text: unknown) => codeSpan(String(text ?? "")));
  // In GFM tables a pipe splits cells even inside a code span, unless escaped.
  hbs.registerHelper("codeCell", (text: unknown) =>
    codeSpan(String(text ?? "")).replace(/\|/g, "\\|"),
  );
  compiled = hbs.compile(readFileSync(README_TEMPLATE, "utf8"), { strict: true, noEscape: true });
  return compiled;
}

/**
 * Inline Markdown text (placed mid-line by the template): HTML neutralised, the punctuation
 * that starts emphasis, code, links, tables or strikethrough escaped, one line.
 */
export function escapeMarkdownInline(text: string): string {
  return text
    .replace(/[\r\n\u2028\u2029]+/g, " ")
    .trim()
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]|~])/g, "\\$1");
}

/**
 * A paragraph of Markdown text: as `escapeMarkdownInline`, keeping line breaks, with what
 * would start a heading or a list at the start of a line escaped too.
 */
export function escapeMarkdownBlock(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029]/g, "\n")
    .split("\n")
    .map((line) =>
      escapeMarkdownInline(line)
        .replace(/^([#+=-])/, "\\$1")
        .replace(/^(\d+)([.)])/, "$1\\$2"),
    )
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** A code span whose fence is longer than any backtick run inside; one line. */
export function codeSpan(text: string): string {
  const flat = text.replace(/[\r\n\u2028\u2029]+/g, " ");
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") || flat === "" ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

function ms(value: number): string {
  if (value % 86_400_000 === 0) return `${value / 86_400_000}d`;
  if (value % 3_600_000 === 0) return `${value / 3_600_000}h`;
  if (value % 60_000 === 0) return `${value / 60_000}m`;
  if (value % 1_000 === 0) return `${value / 1_000}s`;
  return `${value}ms`;
}

function sendPolicies(op: SendPlan): string[] {
  const p = op.operation.publish;
  return [
    `Publish: timeout ${ms(p.timeoutMs)}, deadline ${ms(p.deadlineMs)}, up to ${p.retry.maxAttempts} attempts (${p.retry.strategy}, ${ms(p.retry.initialDelayMs)}–${ms(p.retry.maxDelayMs)}, jitter ${p.retry.jitter})`,
  ];
}

function receivePolicies(op: ReceivePlan): string[] {
  const o = op.operation;
  const out: string[] = [];
  const c = o.consumer;
  out.push(
    `Consumer: durable ${codeSpan(c.durable)} on stream ${codeSpan(op.stream)}, ack wait ${ms(c.ackWaitMs)}, max ack pending ${c.maxAckPending}, concurrency ${c.concurrency}, handler timeout ${ms(c.handlerTimeoutMs)}`,
  );
  const r = o.retry;
  out.push(
    r.delaysMs
      ? `Retry: up to ${r.maxAttempts} attempts, delays ${r.delaysMs.map(ms).join(", ")}`
      : `Retry: up to ${r.maxAttempts} attempts, ${r.strategy} from ${ms(r.initialDelayMs)} to ${ms(r.maxDelayMs)}${r.strategy === "exponential" ? ` ×${r.multiplier}` : ""}, jitter ${r.jitter}`,
  );
  out.push(
    o.dlq
      ? `Dead letters: ${codeSpan(o.dlq.subject)} (stream ${codeSpan(o.dlq.stream)}), with the max-deliveries catcher (\`catchExhausted: false\` turns it off)`
      : "Dead letters: none (exhausted messages are terminated)",
  );
  const d = o.dedup;
  out.push(
    d.store === "none"
      ? "Dedup: none"
      : d.store === "kv"
        ? `Dedup: KV bucket ${codeSpan(d.bucket)}, keys kept ${ms(d.ttlMs)}, lease ${ms(d.leaseMs)}`
        : `Dedup: in memory, ${d.maxEntries} keys for ${ms(d.ttlMs)}`,
  );
  const b = o.circuitBreaker;
  if (b) {
    out.push(
      b.open.kind === "consecutive"
        ? `Circuit breaker: opens after ${b.open.failures} consecutive failures, probes after ${ms(b.halfOpenAfterMs)}`
        : `Circuit breaker: opens at ${Math.round(b.open.failureRatio * 100)}% failures over ${ms(b.open.windowMs)} (at least ${b.open.minCalls} calls), probes after ${ms(b.halfOpenAfterMs)}`,
    );
  }
  return out;
}

export function emitReadme(ctx: CodegenContext): EmittedFile {
  const { contract } = ctx;
  const consumers = ctx.operations.filter(
    (o): o is ReceivePlan => o.operation.action === "receive",
  );
  const producers = ctx.operations.filter((o): o is SendPlan => o.operation.action === "send");
  const view = {
    header:
      `${GENERATED_MARKER} generate from ${safeLineComment(ctx.source)}. DO NOT EDIT.`.replace(
        /--+/g,
        (m) => m.split("").join(" "),
      ),
    title: contract.info.title,
    version: contract.info.version,
    asyncapiVersion: contract.asyncapiVersion,
    description: contract.info.description ?? "",
    source: ctx.source,
    channels: contract.channels.map((c) => ({
      id: c.id,
      subject: c.subject ?? "(no address)",
      stream: c.stream ?? "",
      messages: c.messageIds,
    })),
    operations: ctx.operations.map((op) => ({
      id: op.operation.id,
      action: op.operation.action,
      channel: op.channel.id,
      summary: op.operation.summary ?? op.operation.description ?? "",
      factory: op.factory,
      descriptor: op.descriptor,
      payloadType: op.payloadType,
      policies:
        op.operation.action === "send"
          ? sendPolicies(op as SendPlan)
          : receivePolicies(op as ReceivePlan),
    })),
    // Consumers with a DLQ start the max-deliveries catcher with themselves.
    catcher: consumers.some((op) => op.operation.dlq !== null),
    consumers: consumers.map((op) => ({
      factory: op.factory,
      payloadType: op.payloadType,
      variable: toValueName(op.operation.id, "consumer"),
    })),
    producers: producers.map((op) => ({
      factory: op.factory,
      variable: toValueName(`${op.operation.id} publisher`),
      result: toValueName(`${op.operation.id} result`),
      params:
        op.channel.parameters.length > 0
          ? `{ ${op.channel.parameters
              .map(
                (p) =>
                  `${propertyName(p.name)}: ${p.enum?.[0] !== undefined ? (literalType(p.enum[0]) ?? stringLiteral(String(p.enum[0]))) : '"..."'}`,
              )
              .join(", ")} }`
          : "",
    })),
  };
  const content = template()(view)
    .replace(/\n{3,}/g, "\n\n")
    .replace(/\n*$/, "\n");
  return { path: "README.md", content };
}
