/**
 * Dead-letter catcher for messages whose deliveries ran out with no decision (the handler's
 * process died every time). Driven by the max-deliveries advisory, which carries `stream_seq`
 * and `deliveries` but no payload (and fires only while a pull request is waiting): fetch the
 * message by sequence, dead-letter it (id from stream+sequence, so repeats are removed), then
 * delete it from the source stream. Catchers share a queue group, so one of them handles
 * each advisory; a crash between the steps leaves the message in the source (never lost).
 */
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { jsHandles } from "./connection.js";
import { DEFAULT_DEAD_LETTER_PUBLISH, publishDeadLetter } from "./dead-letter.js";
import type { DeadLetterTarget, PublishPolicy } from "./descriptors.js";
import {
  type CatcherEvents,
  EventHub,
  type EventSource,
  type Hooks,
  type Logger,
} from "./events.js";

/** Subject of the server's max-deliveries advisory for one consumer. */
export function maxDeliveriesAdvisorySubject(stream: string, consumer: string): string {
  return `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${consumer}`;
}

export interface CatcherOptions {
  readonly stream: string;
  /** Durable name of the consumer whose exhausted messages to catch. */
  readonly consumer: string;
  readonly deadLetter: DeadLetterTarget;
  readonly hooks?: Hooks<CatcherEvents>;
  readonly logger?: Logger;
  readonly publish?: PublishPolicy;
  /** Queue group shared by catchers of this consumer (default `jetcontract-catcher`). */
  readonly queue?: string;
}

export interface DeadLetterCatcher {
  readonly events: EventSource<CatcherEvents>;
  /** Stops listening after the advisories being handled are done. */
  stop(): Promise<void>;
}

interface MaxDeliveriesAdvisory {
  readonly stream: string;
  readonly consumer: string;
  readonly stream_seq: number;
  readonly deliveries: number;
}

/** Starts catching exhausted messages of one consumer. */
export async function startDeadLetterCatcher(
  nc: NatsConnection,
  options: CatcherOptions,
): Promise<DeadLetterCatcher> {
  const hub = new EventHub<CatcherEvents>(options.hooks, options.logger);
  const handles = jsHandles(nc);
  const jsm = await handles.jsm();
  const pending = new Set<Promise<void>>();

  const handle = async (advisory: MaxDeliveriesAdvisory): Promise<void> => {
    const seq = advisory.stream_seq;
    let stage = "get";
    try {
      const stored = await jsm.streams.getMessage(options.stream, { seq });
      if (stored === null) {
        hub.emit("missing", {
          stream: options.stream,
          consumer: options.consumer,
          streamSequence: seq,
        });
        return;
      }
      stage = "dead-letter";
      const now = new Date();
      const result = await publishDeadLetter(
        handles,
        options.deadLetter,
        stored.data,
        stored.header,
        {
          originSubject: stored.subject,
          originStream: options.stream,
          originSequence: seq,
          originConsumer: options.consumer,
          attempts: advisory.deliveries,
          deliveries: advisory.deliveries,
          errorClass: "MaxDeliveriesExceeded",
          errorMessage: `deliveries exhausted: no decision after ${advisory.deliveries} deliveries`,
          firstFailureAt: now,
          lastFailureAt: now,
          reason: "max-deliveries",
        },
        options.publish ?? DEFAULT_DEAD_LETTER_PUBLISH,
      );
      stage = "delete";
      try {
        await jsm.streams.deleteMessage(options.stream, seq, false);
      } catch (error) {
        if (!/no message found|not found/i.test(String((error as Error)?.message))) throw error;
      }
      hub.emit("caught", {
        stream: options.stream,
        consumer: options.consumer,
        streamSequence: seq,
        deliveries: advisory.deliveries,
        deadLetterSubject: options.deadLetter.subject,
        deadLetterSeq: result.seq,
        duplicate: result.duplicate,
      });
    } catch (error) {
      if (stage === "get" && /no message found/i.test(String((error as Error)?.message))) {
        hub.emit("missing", {
          stream: options.stream,
          consumer: options.consumer,
          streamSequence: seq,
        });
        return;
      }
      if (hub.has("error")) hub.emit("error", { stage, error, streamSequence: seq });
      else options.logger?.error("jetcontract catcher failed", { stage, error, seq });
    }
  };

  const sub: Subscription = nc.subscribe(
    maxDeliveriesAdvisorySubject(options.stream, options.consumer),
    {
      queue: options.queue ?? "jetcontract-catcher",
      callback: (err, msg) => {
        if (err) {
          if (hub.has("error")) hub.emit("error", { stage: "subscribe", error: err });
          return;
        }
        let advisory: MaxDeliveriesAdvisory;
        try {
          advisory = msg.json<MaxDeliveriesAdvisory>();
        } catch (error) {
          if (hub.has("error")) hub.emit("error", { stage: "advisory", error });
          return;
        }
        const task = handle(advisory);
        pending.add(task);
        void task.finally(() => pending.delete(task));
      },
    },
  );
  await nc.flush();

  return {
    events: hub,
    async stop() {
      sub.unsubscribe();
      await Promise.allSettled([...pending]);
    },
  };
}
