import {
  type JetStreamConsumerConfig,
  toJetStreamConsumerConfig,
} from "@jetcontract/runtime/internal";
import type { DesiredConsumer, DesiredPlacement, DesiredSource, DesiredStream } from "./types.js";
import { msToNanos } from "./units.js";

/**
 * JetStream API wire objects (`$JS.API.STREAM.CREATE` / `$JS.API.CONSUMER.CREATE` bodies),
 * as `nats stream add --config` and `nats consumer add --config` read them. Durations are
 * nanoseconds. Keys are written in a fixed order so files are byte-stable.
 */
export interface ApiStreamConfig {
  readonly name: string;
  readonly description: string;
  readonly subjects: string[];
  readonly retention: string;
  readonly max_consumers: number;
  readonly max_msgs: number;
  readonly max_bytes: number;
  readonly max_age: number;
  readonly max_msgs_per_subject: number;
  readonly max_msg_size: number;
  readonly discard: string;
  readonly storage: string;
  readonly num_replicas: number;
  /** Absent for a mirror: it keeps no publish dedup window of its own. */
  readonly duplicate_window?: number;
  readonly allow_rollup_hdrs: boolean;
  readonly allow_direct: boolean;
  readonly deny_delete: boolean;
  readonly deny_purge: boolean;
  readonly placement?: { cluster?: string; tags?: string[] };
  readonly mirror?: ApiStreamSource;
  readonly sources?: ApiStreamSource[];
  readonly metadata?: Record<string, string>;
}

/** `mirror` / `sources[]` entries; a domain becomes the external API prefix. */
export interface ApiStreamSource {
  readonly name: string;
  readonly opt_start_seq?: number;
  readonly filter_subject?: string;
  readonly external?: { api: string; deliver: string };
}

/** The consumer wire object: the runtime's, so files, plan/apply and `ensureConsumer` agree. */
export type ApiConsumerConfig = JetStreamConsumerConfig;

export interface ApiConfigOptions {
  /** Include `metadata` (servers 2.10+). Default true. */
  readonly metadata?: boolean;
}

export function toApiStreamConfig(
  s: DesiredStream,
  options: ApiConfigOptions = {},
): ApiStreamConfig {
  return {
    name: s.name,
    description: s.description,
    subjects: [...s.subjects],
    retention: s.retention,
    max_consumers: s.maxConsumers,
    max_msgs: s.maxMsgs,
    max_bytes: s.maxBytes,
    max_age: msToNanos(s.maxAgeMs),
    max_msgs_per_subject: s.maxMsgsPerSubject,
    max_msg_size: s.maxMsgSizeBytes,
    discard: s.discard,
    storage: s.storage,
    num_replicas: s.replicas,
    ...(s.mirror === undefined ? { duplicate_window: msToNanos(s.duplicateWindowMs) } : {}),
    allow_rollup_hdrs: s.allowRollupHeaders,
    allow_direct: s.allowDirect,
    deny_delete: s.denyDelete,
    deny_purge: s.denyPurge,
    ...(s.placement ? { placement: apiPlacement(s.placement) } : {}),
    ...(s.mirror ? { mirror: apiSource(s.mirror) } : {}),
    ...(s.sources.length > 0 ? { sources: s.sources.map(apiSource) } : {}),
    ...(options.metadata !== false ? { metadata: { ...s.metadata } } : {}),
  };
}

function apiPlacement(p: DesiredPlacement): { cluster?: string; tags?: string[] } {
  return {
    ...(p.cluster !== undefined ? { cluster: p.cluster } : {}),
    ...(p.tags.length > 0 ? { tags: [...p.tags] } : {}),
  };
}

/** The external API prefix of a JetStream domain (what nats.js and the nats CLI derive too). */
export function domainApiPrefix(domain: string): string {
  return `$JS.${domain}.API`;
}

function apiSource(s: DesiredSource): ApiStreamSource {
  return {
    name: s.name,
    ...(s.startSeq !== undefined ? { opt_start_seq: s.startSeq } : {}),
    ...(s.filterSubject !== undefined ? { filter_subject: s.filterSubject } : {}),
    ...(s.domain !== undefined
      ? { external: { api: domainApiPrefix(s.domain), deliver: "" } }
      : {}),
  };
}

export function toApiConsumerConfig(
  c: DesiredConsumer,
  options: ApiConfigOptions = {},
): ApiConsumerConfig {
  const config = toJetStreamConsumerConfig(c);
  if (options.metadata !== false) return config;
  const { metadata: _metadata, ...rest } = config;
  return rest;
}
