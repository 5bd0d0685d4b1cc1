/**
 * Dedup in a JetStream KV bucket, shared by every consumer process. A claim is an atomic
 * `create()` holding a lease expiry (wall clock); an expired claim is taken over with a
 * revision-checked `update()`. The done marker replaces the claim and lives for the
 * bucket's TTL (`max_age`). Each call is one JetStream round trip: the consumer keeps several
 * in flight at once (its concurrency), never one awaited claim per message in series.
 */
import { createHash } from "node:crypto";
import type { JetStreamClient } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { sleepMs } from "../duration.js";
import { DedupStoreError } from "../errors.js";
import { unanswered, unansweredPauseMs } from "../unanswered.js";
import type { ClaimResult, ClaimToken, DedupStore } from "./types.js";

/**
 * How long each store call is retried while the bucket does not answer (no responders or
 * timeouts: its stream's leader is being elected, 4–6 s on 2.9.10, or the client reconnects to
 * another node), unless `rideThroughMs` says otherwise.
 */
export const KV_RIDE_THROUGH_MS = 15_000;

export interface KvDedupOptions {
  readonly bucket: string;
  /** How long done markers (and stale claims) live: the bucket's `max_age`. */
  readonly ttlMs: number;
  /** How long a claim holds without renewal. */
  readonly leaseMs: number;
  /** Create the bucket when missing (default true). */
  readonly create?: boolean;
  /** Replicas of a bucket this store creates (default 1; as many as the stream it guards). */
  readonly replicas?: number;
  /** Storage of a bucket this store creates (default file). */
  readonly storage?: "file" | "memory";
  /**
   * How a processed key is recorded (default `"ack"`):
   * - `"ack"`: the owner's claim counts as done once its message is acked: one KV write per
   *   message. A done marker is written only when an ack cannot be confirmed, and, by the
   *   consumer, for the messages it acked shortly before losing its connection (a server killed
   *   with SIGKILL can lose its most recent consumer acks, even confirmed ones, and redeliver
   *   those messages). The consumer also remembers the messages it completed, so a redelivery
   *   of one of them is acked without running the handler. Residual: see `docs/runtime.md`
   *   ("Dedup stores"): a handler runs twice only when the server loses a confirmed ack and the
   *   consumer process that acked it also stops before it has written the done markers after
   *   reconnecting, or another process takes the message over in the moments before that.
   * - `"write"`: a done marker is written before every ack (two KV writes per message, about
   *   half the throughput). Exact without relying on the consumer process surviving a server
   *   crash: the marker is a stream write, which the restarted server still has.
   */
  readonly doneMarker?: "write" | "ack";
  /**
   * How long a claim, renewal, done marker or release is retried while the bucket does not
   * answer (a bucket leader election); default `KV_RIDE_THROUGH_MS`. 0: fail at once.
   */
  readonly rideThroughMs?: number;
  /** Identifies this holder in claims (default: random). */
  readonly owner?: string;
  readonly now?: () => number;
}

interface KvToken extends ClaimToken {
  readonly kvKey: string;
  readonly ref: string | undefined;
  revision: number;
}

interface StoredClaim {
  /** "c" claimed, "d" done */
  readonly s: "c" | "d";
  /** lease expiry, epoch ms (claims only) */
  readonly u?: number;
  readonly o?: string;
  /** the message that owns the key (`stream:sequence`), when the consumer said */
  readonly r?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const DONE = encoder.encode(JSON.stringify({ s: "d" } satisfies StoredClaim));
const SAFE_KEY = /^[-/=\w]+(\.[-/=\w]+)*$/;

/** KV keys allow `[-/_=.a-zA-Z0-9]`; other keys are hashed. */
export function kvKeyFor(key: string): string {
  if (key.length <= 200 && SAFE_KEY.test(key)) return key;
  return `h.${createHash("sha256").update(key).digest("hex")}`;
}

/** What one store call knows about its KV requests. */
interface Call {
  /** Retries end at this time. */
  readonly untilMs: number;
  /**
   * A request timed out and was sent again: the first may have been applied, so a "wrong last
   * sequence" that follows can be this holder's own write.
   */
  ambiguous: boolean;
}

function isWrongLastSequence(e: unknown): boolean {
  const code = (e as { code?: number })?.code;
  return code === 10071 || /wrong last sequence/i.test(String((e as Error)?.message));
}

/**
 * Resolves on the next event-loop turn, shared by every caller of this turn: KV writes started
 * together go out in one socket write instead of one write each.
 */
class TurnBatcher {
  #next: Promise<void> | undefined;
  wait(): Promise<void> {
    if (this.#next === undefined) {
      this.#next = new Promise<void>((resolve) =>
        setImmediate(() => {
          this.#next = undefined;
          resolve();
        }),
      );
    }
    return this.#next;
  }
}

export class KvDedupStore implements DedupStore {
  readonly kind = "kv";
  /** With `doneMarker: "ack"` (the default), a claim made with a message ref is done once acked. */
  readonly doneOnAck: boolean;
  readonly leaseMs: number;
  readonly owner: string;
  readonly #now: () => number;
  readonly #rideThroughMs: number;
  readonly #batch = new TurnBatcher();

  constructor(
    readonly kv: KV,
    options: Pick<KvDedupOptions, "leaseMs" | "owner" | "now" | "doneMarker" | "rideThroughMs">,
  ) {
    this.leaseMs = options.leaseMs;
    this.doneOnAck = options.doneMarker !== "write";
    this.owner = options.owner ?? Math.random().toString(36).slice(2, 10);
    this.#now = options.now ?? Date.now;
    this.#rideThroughMs = options.rideThroughMs ?? KV_RIDE_THROUGH_MS;
  }

  #call(): Call {
    return { untilMs: Date.now() + this.#rideThroughMs, ambiguous: false };
  }

  /** Runs one KV request, again while it goes unanswered and the call's time lasts. */
  async #ride<R>(call: Call, request: () => Promise<R>): Promise<R> {
    for (let round = 1; ; round++) {
      try {
        return await request();
      } catch (e) {
        const failure = unanswered(e);
        const pauseMs = unansweredPauseMs(round);
        if (failure === undefined || Date.now() + pauseMs >= call.untilMs) throw e;
        if (failure === "timeout") call.ambiguous = true;
        await sleepMs(pauseMs);
      }
    }
  }

  /** Whether a stored claim is this holder's own for `ref` (a write of ours that timed out). */
  #ours(stored: StoredClaim, ref: string | undefined, call: Call): boolean {
    return call.ambiguous && stored.s === "c" && stored.o === this.owner && stored.r === ref;
  }

  #claimValue(ref: string | undefined): Uint8Array {
    const value: StoredClaim = { s: "c", u: this.#now() + this.leaseMs, o: this.owner };
    return encoder.encode(JSON.stringify(ref === undefined ? value : { ...value, r: ref }));
  }

  /**
   * With `ref` (the claiming message, `stream:sequence`), the claim doubles as the done marker:
   * the first message to claim a key owns it, and another message with the same key is a
   * duplicate of the owner (it follows the owner's fate: retried by the owner's redeliveries,
   * dead-lettered with it). Only a redelivery of the owner itself may take an expired claim over.
   * Without `ref`: an expired claim is claimable by anyone, and only `complete()` marks done.
   * A claim (not a done marker) held by `supersedes`, the failed message a re-driven one
   * replaces, is taken over at once.
   */
  async claim(key: string, ref?: string, supersedes?: string): Promise<ClaimResult> {
    const kvKey = kvKeyFor(key);
    const call = this.#call();
    const claimed = (revision: number): ClaimResult => ({
      status: "claimed",
      token: { key, kvKey, ref, revision } as KvToken,
    });
    await this.#batch.wait();
    try {
      for (let round = 0; round < 3; round++) {
        try {
          return claimed(
            await this.#ride(call, () => this.kv.create(kvKey, this.#claimValue(ref))),
          );
        } catch (e) {
          if (!isWrongLastSequence(e)) throw e;
        }
        const entry = await this.#ride(call, () => this.kv.get(kvKey));
        if (entry === null || entry.operation !== "PUT") continue; // gone meanwhile: create again
        const stored = JSON.parse(decoder.decode(entry.value)) as StoredClaim;
        if (this.#ours(stored, ref, call)) return claimed(entry.revision);
        if (stored.s === "d") return { status: "done" };
        const replaced = supersedes !== undefined && stored.r === supersedes;
        if (!replaced && ref !== undefined && stored.r !== undefined && stored.r !== ref)
          return { status: "done" };
        const leftMs = (stored.u ?? 0) - this.#now();
        if (leftMs > 0 && !replaced) return { status: "busy", retryAfterMs: leftMs };
        // The holder's lease ran out (it died or hung): take the claim over, atomically.
        try {
          const value = this.#claimValue(ref);
          return claimed(
            await this.#ride(call, () => this.kv.update(kvKey, value, entry.revision)),
          );
        } catch (e) {
          if (!isWrongLastSequence(e)) throw e;
        }
      }
      return { status: "busy", retryAfterMs: Math.min(1_000, this.leaseMs) };
    } catch (cause) {
      throw new DedupStoreError(`dedup claim of ${key} failed`, { cause });
    }
  }

  async renew(token: ClaimToken): Promise<void> {
    const t = token as KvToken;
    const call = this.#call();
    try {
      const value = this.#claimValue(t.ref);
      t.revision = await this.#ride(call, () => this.kv.update(t.kvKey, value, t.revision));
    } catch (e) {
      // A renewal that timed out and landed: the claim is still ours at a newer revision.
      const entry = isWrongLastSequence(e) && call.ambiguous ? await this.kv.get(t.kvKey) : null;
      const stored =
        entry?.operation === "PUT"
          ? (JSON.parse(decoder.decode(entry.value)) as StoredClaim)
          : undefined;
      if (entry && stored && this.#ours(stored, t.ref, call)) {
        t.revision = entry.revision;
        return;
      }
      throw new DedupStoreError(`dedup lease renewal of ${t.key} failed`, { cause: e });
    }
  }

  async complete(token: ClaimToken): Promise<void> {
    const t = token as KvToken;
    const call = this.#call();
    await this.#batch.wait();
    try {
      t.revision = await this.#ride(call, () => this.kv.update(t.kvKey, DONE, t.revision));
    } catch (e) {
      if (!isWrongLastSequence(e))
        throw new DedupStoreError(`dedup done marker of ${t.key} failed`, { cause: e });
      // Our lease was taken over meanwhile (or our own write timed out and landed); the work
      // is done, so say so regardless.
      try {
        await this.#ride(call, () => this.kv.put(t.kvKey, DONE));
      } catch (cause) {
        throw new DedupStoreError(`dedup done marker of ${t.key} failed`, { cause });
      }
    }
  }

  async release(token: ClaimToken): Promise<void> {
    const t = token as KvToken;
    try {
      await this.#ride(this.#call(), () => this.kv.delete(t.kvKey, { previousSeq: t.revision }));
    } catch (e) {
      if (isWrongLastSequence(e)) return; // no longer ours
      throw new DedupStoreError(`dedup release of ${t.key} failed`, { cause: e });
    }
  }
}

/** Opens (or creates) the bucket and returns a KV dedup store. */
export async function createKvDedupStore(
  conn: NatsConnection | JetStreamClient,
  options: KvDedupOptions,
): Promise<KvDedupStore> {
  const kvm = new Kvm(conn);
  let kv: KV;
  if (options.create === false) kv = await kvm.open(options.bucket);
  else {
    try {
      kv = await kvm.create(options.bucket, {
        ttl: options.ttlMs,
        history: 1,
        ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
        ...(options.storage !== undefined ? { storage: options.storage } : {}),
      });
    } catch (createError) {
      // Made elsewhere with other settings (e.g. by an operator): use it as it is.
      try {
        kv = await kvm.open(options.bucket);
      } catch {
        throw createError;
      }
    }
  }
  return new KvDedupStore(kv, options);
}
