import { notGeneratedBecause, sharedIdempotencyKey } from "../model/operations.js";
import type { Problem } from "../model/problem.js";
import type {
  Channel,
  Contract,
  IdempotencyKey,
  Message,
  ReceiveOperation,
  SendOperation,
} from "../model/types.js";
import { checkContract } from "../spec/rules/index.js";
import { TypeEmitter } from "./emit-types.js";
import { GLOBAL_NAMES, NameScope, operationBaseName, toTypeName, toValueName } from "./names.js";
import { RUNTIME_SYMBOL_NAMES } from "./runtime-symbols.js";

/**
 * Everything emitters share: the model, the names every exported symbol gets (one scope for
 * the whole generated package, since the index re-exports every module), and problems found
 * while generating. Built once, in model order, so names are deterministic.
 */
export interface CodegenContext {
  readonly contract: Contract;
  /** Spec path as shown in headers (relative to the output directory, `/` separators). */
  readonly source: string;
  readonly scope: NameScope;
  readonly types: TypeEmitter;
  readonly messages: readonly MessagePlan[];
  readonly operations: readonly OperationPlan[];
  readonly problems: Problem[];
}

export interface MessagePlan {
  readonly message: Message;
  readonly payloadType: string;
  readonly headersType?: string;
  /** Exported validator names in `validators.ts`. */
  readonly validatePayload: string;
  readonly validateHeaders?: string;
  /** Exported `MessageDescriptor` constant in `descriptors.ts`. */
  readonly descriptor: string;
}

interface OperationPlanBase {
  readonly channel: Channel;
  /** Subject with `*` for parameters (never null: operations without one are skipped). */
  readonly subject: string;
  readonly messages: readonly MessagePlan[];
  /** Payload type of the operation: the message's, or a union declared for it. */
  readonly payloadType: string;
  /** Message descriptor the operation uses: the message's, or a combined one. */
  readonly messageDescriptor: string;
  /** For a multi-message operation: its own combined descriptor and validator. */
  readonly combined?: {
    /** Accepts a payload any of the operation's message validators accepts. */
    readonly validatePayload: string;
    readonly idempotencyKey?: IdempotencyKey;
  };
  /** Exported descriptor constant (`PublisherDescriptor`/`ConsumerDescriptor`). */
  readonly descriptor: string;
  /** Exported factory function. */
  readonly factory: string;
  /** Exported type of the subject parameters, when the channel has any. */
  readonly paramsType?: string;
}

export interface SendPlan extends OperationPlanBase {
  readonly operation: SendOperation;
  /**
   * Exported interface of the typed publisher, for a subject with parameters (its `publish`
   * takes them as an argument); otherwise the runtime's `Publisher<T>` serves as is.
   */
  readonly publisherType?: string;
}

export interface ReceivePlan extends OperationPlanBase {
  readonly operation: ReceiveOperation;
  readonly stream: string;
  /** Exported handler type. */
  readonly handlerType: string;
}

export type OperationPlan = SendPlan | ReceivePlan;

export function createContext(contract: Contract, source: string): CodegenContext {
  const scope = new NameScope([
    ...GLOBAL_NAMES,
    ...RUNTIME_SYMBOL_NAMES,
    "ajv", // validators.ts imports validators.ajv.ts under this name
    "ConsumerConnection",
  ]);
  const types = new TypeEmitter(scope);
  const problems: Problem[] = checkContract(contract, "generate");

  const messages: MessagePlan[] = [];
  const byId = new Map<string, MessagePlan>();
  for (const message of contract.messages) {
    const base = message.name;
    const docs = messageDocs(message);
    const payloadType = types.declare(`${base} Payload`, message.payload, docs);
    const headersType =
      message.headers !== undefined ? types.declare(`${base} Headers`, message.headers) : undefined;
    const plan: MessagePlan = {
      message,
      payloadType,
      ...(headersType !== undefined ? { headersType } : {}),
      validatePayload: scope.claim(toValueName(`validate ${base} Payload`)),
      ...(headersType !== undefined
        ? { validateHeaders: scope.claim(toValueName(`validate ${base} Headers`)) }
        : {}),
      descriptor: scope.claim(toValueName(`${base} Message`)),
    };
    messages.push(plan);
    byId.set(message.id, plan);
  }

  const channels = new Map(contract.channels.map((c) => [c.id, c]));
  const paramsTypes = new Map<string, string>();
  const operations: OperationPlan[] = [];
  for (const operation of contract.operations) {
    // jc-operation-not-generated reports the operations skipped here.
    const channel = channels.get(operation.channelId);
    if (!channel || channel.subject === null || notGeneratedBecause(contract, operation)) continue;
    const opMessages = operation.messageIds
      .map((id) => byId.get(id))
      .filter((m): m is MessagePlan => m !== undefined);
    const opName = operationBaseName(operation.id, operation.action);
    let payloadType: string;
    let messageDescriptor: string;
    let combined: OperationPlanBase["combined"];
    if (opMessages.length === 1) {
      const only = opMessages[0] as MessagePlan;
      payloadType = only.payloadType;
      messageDescriptor = only.descriptor;
    } else {
      payloadType = types.declareUnion(
        `${opName} Payload`,
        opMessages.map((m) => m.payloadType),
        `Payload of operation \`${operation.id}\`: one of its messages.`,
      );
      messageDescriptor = scope.claim(toValueName(`${opName} Message`));
      // jc-operation-mixed-idempotency-keys reports a "mixed" key.
      const key = sharedIdempotencyKey(opMessages.map((m) => m.message));
      combined = {
        validatePayload: scope.claim(toValueName(`validate ${opName} Payload`)),
        ...(key !== undefined && key !== "mixed" ? { idempotencyKey: key } : {}),
      };
    }
    let paramsType: string | undefined;
    if (channel.parameters.length > 0) {
      paramsType = paramsTypes.get(channel.id);
      if (paramsType === undefined) {
        paramsType = scope.claim(toTypeName(`${channel.id} Subject Params`));
        paramsTypes.set(channel.id, paramsType);
      }
    }
    const common = {
      channel,
      subject: channel.subject,
      messages: opMessages,
      payloadType,
      messageDescriptor,
      ...(combined ? { combined } : {}),
      ...(paramsType !== undefined ? { paramsType } : {}),
    };
    if (operation.action === "send") {
      operations.push({
        ...common,
        operation,
        descriptor: scope.claim(toValueName(`${opName} Publisher Descriptor`)),
        factory: scope.claim(toValueName(`create ${opName} Publisher`)),
        ...(paramsType !== undefined
          ? { publisherType: scope.claim(toTypeName(`${opName} Publisher`)) }
          : {}),
      });
    } else {
      const stream = channel.stream;
      if (stream === undefined) continue; // ruled out by notGeneratedBecause
      operations.push({
        ...common,
        operation,
        stream,
        descriptor: scope.claim(toValueName(`${opName} Consumer Descriptor`)),
        factory: scope.claim(toValueName(`create ${opName} Consumer`)),
        handlerType: scope.claim(toTypeName(`${opName} Handler`)),
      });
    }
  }
  return { contract, source, scope, types, messages, operations, problems };
}

/** The non-blank title, summary and description of a message or operation, in that order. */
export function describedBy(x: {
  readonly title?: string;
  readonly summary?: string;
  readonly description?: string;
}): string[] {
  return [x.title, x.summary, x.description].filter(
    (p): p is string => typeof p === "string" && p.trim() !== "",
  );
}

function messageDocs(message: Message): string | undefined {
  const unique = [...new Set(describedBy(message).map((p) => p.trim()))];
  const text = [`Payload of message \`${message.name}\`.`, ...unique].join("\n\n");
  return text;
}
