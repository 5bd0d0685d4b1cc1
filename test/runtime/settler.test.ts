/**
 * The ack sender against a scripted connection (no server): batching, confirmation by the last
 * settle of a batch, and re-sending what went unanswered until the ack wait passes. The same
 * behaviour on a real 3-node cluster: cluster-election.test.ts.
 */
import type { JsMsg } from "@nats-io/jetstream";
import {
  ClosedConnectionError,
  type NatsConnection,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from "@nats-io/nats-core";
import { describe, expect, it } from "vitest";
import { Settler } from "../../packages/runtime/src/consumer/settler.js";

const noResponders = (subject: string) =>
  new RequestError("no responders", { cause: new NoRespondersError(subject) });

/** A connection whose request replies follow a script; every message sent is recorded. */
function scripted(replies: Array<"ok" | Error>) {
  const sent: { subject: string; payload: string; request: boolean }[] = [];
  let closed = false;
  const nc = {
    publish(subject: string, payload: Uint8Array) {
      if (closed) throw new ClosedConnectionError();
      sent.push({ subject, payload: new TextDecoder().decode(payload), request: false });
    },
    request(subject: string, payload: Uint8Array) {
      if (closed) return Promise.reject(new ClosedConnectionError());
      sent.push({ subject, payload: new TextDecoder().decode(payload), request: true });
      const next = replies.shift() ?? "ok";
      return next === "ok" ? Promise.resolve({}) : Promise.reject(next);
    },
  };
  return {
    nc: nc as unknown as NatsConnection,
    sent,
    close: () => {
      closed = true;
    },
  };
}

const reply = (seq: number) => `$JS.ACK.S.C.1.${seq}.${seq}.0.0`;
const msg = (seq: number) => ({ seq, reply: reply(seq) }) as unknown as JsMsg;
const soon = () => Date.now() + 10_000;

describe("Settler", () => {
  it("sends a turn's settles together, confirmed by one request on the last", async () => {
    const c = scripted([]);
    const s = new Settler(c.nc, { confirm: true });
    await Promise.all([
      s.ack(msg(1), soon()),
      s.nak(msg(2), 250, soon()),
      s.term(msg(3), "permanent: E", soon()),
    ]);
    expect(c.sent).toEqual([
      { subject: reply(1), payload: "+ACK", request: false },
      { subject: reply(2), payload: '-NAK {"delay":250000000}', request: false },
      { subject: reply(3), payload: "+TERM permanent: E", request: true },
    ]);
  });

  it("re-sends a batch nobody answered (a leader election) until it is confirmed", async () => {
    const c = scripted([
      noResponders("$JS.ACK.S.C"),
      new TimeoutError(),
      noResponders("$JS.ACK.S.C"),
    ]);
    const s = new Settler(c.nc, { confirm: true });
    await Promise.all([s.ack(msg(1), soon()), s.ack(msg(2), soon())]);
    // Four rounds of the same two acks; each round's last one is the confirming request.
    expect(c.sent.map((m) => `${m.subject.split(".")[5]}${m.request ? "?" : ""}`)).toEqual([
      "1",
      "2?",
      "1",
      "2?",
      "1",
      "2?",
      "1",
      "2?",
    ]);
  });

  it("gives up past the deadline with the last error, and never repeats a nak that may have landed", async () => {
    const c = scripted([new TimeoutError()]);
    const s = new Settler(c.nc, { confirm: true });
    const nak = s.nak(msg(1), 1_000, soon());
    const ack = s.ack(msg(2), Date.now() - 1);
    await expect(nak).rejects.toBeInstanceOf(TimeoutError);
    await expect(ack).rejects.toBeInstanceOf(TimeoutError);
    expect(c.sent.map((m) => m.payload)).toEqual(['-NAK {"delay":1000000000}', "+ACK"]);
  });

  it("does not re-send what the connection refused", async () => {
    const c = scripted([]);
    const s = new Settler(c.nc, { confirm: true });
    c.close();
    const results = await Promise.allSettled([s.ack(msg(1), soon()), s.ack(msg(2), soon())]);
    for (const r of results) {
      expect(r).toMatchObject({ status: "rejected", reason: expect.any(ClosedConnectionError) });
    }
    expect(c.sent).toEqual([]);
  });

  it("without confirmation sends plain messages and resolves once they are out", async () => {
    const c = scripted([]);
    const s = new Settler(c.nc, { confirm: false });
    await Promise.all([s.ack(msg(1), soon()), s.term(msg(2), undefined, soon())]);
    expect(c.sent).toEqual([
      { subject: reply(1), payload: "+ACK", request: false },
      { subject: reply(2), payload: "+TERM", request: false },
    ]);
  });

  it("a dropped ack (test fault) is reported confirmed and never sent", async () => {
    const c = scripted([]);
    const s = new Settler(c.nc, { confirm: true, dropAck: (seq) => seq === 1 });
    await s.ack(msg(1), soon());
    expect(c.sent).toEqual([]);
  });
});
