import type { DurableConsumerSettings } from "@jetcontract/runtime/internal";
import type {
  DiscardPolicy,
  RetentionPolicy,
  SourceLocation,
  StorageType,
} from "../model/types.js";

/**
 * The JetStream configuration a contract implies, in the model's units (milliseconds,
 * bytes). Every output (API JSON, NACK, Terraform, plan/apply) is rendered from this one
 * object; unit conversion happens in `units.ts` only. Arrays are sorted, so output is
 * deterministic.
 */
export interface JetStreamConfig {
  /** Who manages these resources: written into descriptions (and metadata on 2.10+). */
  readonly owner: string;
  /** The contract's root file, for generated headers. */
  readonly source: string;
  /** Streams, dead-letter streams and KV bucket streams, sorted by name. */
  readonly streams: readonly DesiredStream[];
  /** Durable consumers, sorted by stream then durable name. */
  readonly consumers: readonly DesiredConsumer[];
  /** KV buckets (each also listed in `streams` as `KV_<bucket>`), sorted by bucket. */
  readonly buckets: readonly DesiredBucket[];
}

/** What a stream is for; `kv` streams back a KV bucket. */
export type StreamRole = "stream" | "dead-letter" | "kv";

export interface DesiredStream {
  readonly role: StreamRole;
  readonly name: string;
  /** Sorted. */
  readonly subjects: readonly string[];
  readonly retention: RetentionPolicy;
  readonly storage: StorageType;
  readonly replicas: number;
  readonly discard: DiscardPolicy;
  /** 0 means unlimited. */
  readonly maxAgeMs: number;
  /** -1 means unlimited. */
  readonly maxBytes: number;
  /** -1 means unlimited. */
  readonly maxMsgs: number;
  /** -1 means unlimited. */
  readonly maxMsgSizeBytes: number;
  /** -1 means unlimited; 1 for KV buckets (history 1). */
  readonly maxMsgsPerSubject: number;
  /** -1 means unlimited. */
  readonly maxConsumers: number;
  readonly duplicateWindowMs: number;
  readonly allowRollupHeaders: boolean;
  readonly allowDirect: boolean;
  readonly denyDelete: boolean;
  readonly denyPurge: boolean;
  /** The contract's description (if any) followed by the ownership marker. */
  readonly description: string;
  /** Key/value metadata (servers 2.10+ only; older servers drop it). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Absent: the server places the replicas. */
  readonly placement?: DesiredPlacement;
  /** A mirror has no subjects of its own. */
  readonly mirror?: DesiredSource;
  readonly sources: readonly DesiredSource[];
  readonly location: SourceLocation;
}

export interface DesiredPlacement {
  readonly cluster?: string;
  /** Sorted. */
  readonly tags: readonly string[];
}

/** A stream a mirror or a source copies from. */
export interface DesiredSource {
  readonly name: string;
  /** Domain of the origin stream; the wire form is the external API prefix `$JS.<domain>.API`. */
  readonly domain?: string;
  readonly filterSubject?: string;
  readonly startSeq?: number;
}

export type DeliverPolicy = DurableConsumerSettings["deliverPolicy"];

/**
 * A durable consumer: the runtime's settings for the operation's consumer policy (the config
 * its `ensureConsumer` creates), with where it lives and which operations it serves.
 */
export interface DesiredConsumer extends DurableConsumerSettings {
  readonly stream: string;
  /** Receive operations served by this consumer, sorted. */
  readonly operations: readonly string[];
  readonly location: SourceLocation;
}

export interface DesiredBucket {
  readonly bucket: string;
  /** `KV_<bucket>`. */
  readonly stream: string;
  readonly ttlMs: number;
  readonly history: number;
  readonly storage: StorageType;
  readonly replicas: number;
  readonly description: string;
  readonly location: SourceLocation;
}
