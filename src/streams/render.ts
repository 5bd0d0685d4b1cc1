import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { domainApiPrefix, toApiConsumerConfig, toApiStreamConfig } from "./api-config.js";
import { StreamsOutputError } from "./errors.js";
import type {
  DesiredConsumer,
  DesiredPlacement,
  DesiredSource,
  DesiredStream,
  JetStreamConfig,
} from "./types.js";
import { msToGoDuration, msToSeconds } from "./units.js";

export type StreamFileFormat = "json" | "nack" | "terraform";
export const STREAM_FILE_FORMATS: readonly StreamFileFormat[] = ["json", "nack", "terraform"];

export interface StreamFile {
  /** Relative path inside the output directory (forward slashes). */
  readonly path: string;
  readonly content: string;
}

export interface RenderedStreamFiles {
  readonly files: readonly StreamFile[];
  /** Lossy conversions the format forced (e.g. Terraform's whole seconds). */
  readonly notes: readonly string[];
}

export interface RenderOptions {
  readonly format: StreamFileFormat;
  /** Source spec named in headers; defaults to `config.source`. */
  readonly source?: string;
}

const GENERATOR = "jetcontract streams";
const TEMPLATE_DIR = fileURLToPath(new URL("../../templates/streams/", import.meta.url));

/**
 * Renders the derived configuration as files: `json` (one JetStream API object per stream,
 * consumer and bucket), `nack` (Kubernetes resources) or `terraform` (HCL). Deterministic:
 * sorted, stable names, no timestamps.
 */
export async function renderStreamFiles(
  config: JetStreamConfig,
  options: RenderOptions,
): Promise<RenderedStreamFiles> {
  const source = options.source ?? config.source;
  switch (options.format) {
    case "json":
      return { files: renderJson(config), notes: [] };
    case "nack":
      return renderTemplate("nack.yaml.hbs", "jetstream.nack.yaml", nackView(config, source));
    case "terraform": {
      const notes: string[] = [];
      const view = terraformView(config, source, notes);
      const out = await renderTemplate("terraform.tf.hbs", "jetstream.tf", { ...view, notes });
      return { files: out.files, notes };
    }
  }
}

/** Writes rendered files under `outDir`, refusing any path that would land outside it. */
export async function writeStreamFiles(
  files: readonly StreamFile[],
  outDir: string,
): Promise<string[]> {
  const root = resolve(outDir);
  const written: string[] = [];
  for (const file of files) {
    const target = resolve(root, file.path);
    const rel = relative(root, target);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
      throw new StreamsOutputError(
        `refusing to write "${file.path}": it is outside ${outDir}`,
        "output-escape",
      );
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
    written.push(target);
  }
  return written;
}

function renderJson(config: JetStreamConfig): StreamFile[] {
  const files: StreamFile[] = [];
  for (const s of config.streams) {
    const prefix = s.role === "kv" ? "kv" : "stream";
    files.push({ path: `${prefix}.${s.name}.json`, content: json(toApiStreamConfig(s)) });
  }
  for (const c of config.consumers) {
    files.push({
      path: `consumer.${c.stream}.${c.durable}.json`,
      content: json(toApiConsumerConfig(c)),
    });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// ---- handlebars --------------------------------------------------------------------------

const hbs = Handlebars.create();
/**
 * A YAML double-quoted scalar: JSON string escapes are valid YAML escapes; characters YAML
 * does not allow raw (DEL, C1 controls, line/paragraph separators, BOM) are escaped too.
 */
hbs.registerHelper("yaml", (value: unknown) => yamlString(String(value)));
/** An HCL quoted string; template sequences are doubled so a spec name is never interpolated. */
hbs.registerHelper("hcl", (value: unknown) => hclString(String(value)));
hbs.registerHelper("hclList", (values: unknown) =>
  Array.isArray(values) ? `[${values.map((v) => hclString(String(v))).join(", ")}]` : "[]",
);
hbs.registerHelper("num", (value: unknown) => {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`template expected a number, got ${String(value)}`);
  }
  return String(value);
});
/** An attribute name padded to its group's widest, so `=` lines up as `terraform fmt` has it. */
hbs.registerHelper("key", (name: unknown, width: unknown) =>
  String(name).padEnd(typeof width === "number" ? width : 0),
);
/** A one-line comment: newlines in the text cannot end the comment. */
hbs.registerHelper("comment", (value: unknown) =>
  String(value).replace(/[\r\n\u2028\u2029]+/g, " "),
);

function yamlString(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * An HCL quoted string. HCL knows only the escapes \n \r \t \" \\ and \uNNNN (not JSON's
 * \b or \f), and `${` / `%{` start template sequences unless doubled.
 */
function hclString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    const code = value.charCodeAt(i);
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else if ((ch === "$" || ch === "%") && value.charAt(i + 1) === "{") out += ch + ch;
    else out += ch;
  }
  return `${out}"`;
}

const templateCache = new Map<string, HandlebarsTemplateDelegate>();

async function renderTemplate(
  template: string,
  path: string,
  view: object,
): Promise<RenderedStreamFiles> {
  let compiled = templateCache.get(template);
  if (!compiled) {
    const text = await readFile(`${TEMPLATE_DIR}${template}`, "utf8");
    compiled = hbs.compile(text, { noEscape: true, strict: true });
    templateCache.set(template, compiled);
  }
  return { files: [{ path, content: compiled(view) }], notes: [] };
}

type HandlebarsTemplateDelegate = ReturnType<typeof Handlebars.compile>;

/** Turns names into unique identifiers of a target language. */
function identifiers(normalise: (name: string) => string) {
  const used = new Set<string>();
  return (name: string): string => {
    const base = normalise(name);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    return id;
  };
}

// ---- NACK --------------------------------------------------------------------------------

function nackView(config: JetStreamConfig, source: string) {
  // metadata.name: a DNS-1123 subdomain (lowercase alphanumerics and "-", at most 253).
  const k8sName = identifiers((name) => {
    const n = name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 240);
    return n === "" ? "resource" : n;
  });
  const streams = config.streams
    .filter((s) => s.role !== "kv")
    .map((s) => ({
      k8sName: k8sName(s.name),
      ...s,
      maxAge: s.maxAgeMs > 0 ? msToGoDuration(s.maxAgeMs) : "",
      duplicateWindow: msToGoDuration(s.duplicateWindowMs),
      metadataEntries: entries(s.metadata),
      placement: s.placement ? placementView(s.placement) : undefined,
      mirror: s.mirror ? sourceView(s.mirror) : undefined,
      sources: s.sources.map(sourceView),
    }));
  const buckets = config.buckets.map((b) => ({
    k8sName: k8sName(`kv-${b.bucket}`),
    ...b,
    ttl: msToGoDuration(b.ttlMs),
  }));
  const consumers = config.consumers.map((c) => ({
    k8sName: k8sName(`${c.stream}-${c.durable}`),
    ...c,
    ackWait: msToGoDuration(c.ackWaitMs),
    metadataEntries: entries(c.metadata),
  }));
  return { generator: GENERATOR, source, streams, buckets, consumers };
}

/** The width of the widest of the attribute names a group writes (see the `key` helper). */
function keyWidth(names: ReadonlyArray<string | false>): number {
  return Math.max(0, ...names.map((n) => (n === false ? 0 : n.length)));
}

/** Placement as both formats write it: absent parts are left out. */
function placementView(p: DesiredPlacement) {
  const hasTags = p.tags.length > 0;
  return {
    cluster: p.cluster ?? "",
    tags: [...p.tags],
    hasTags,
    keyWidth: keyWidth([!!p.cluster && "placement_cluster", hasTags && "placement_tags"]),
  };
}

/** A mirror or source for the templates: a domain becomes the external API prefix. */
function sourceView(s: DesiredSource) {
  return {
    name: s.name,
    filterSubject: s.filterSubject ?? "",
    startSeq: s.startSeq ?? 0,
    externalApi: s.domain !== undefined ? domainApiPrefix(s.domain) : "",
    keyWidth: keyWidth([
      "name",
      !!s.filterSubject && "filter_subject",
      !!s.startSeq && "start_seq",
    ]),
  };
}

function entries(record: Readonly<Record<string, string>>) {
  return Object.keys(record)
    .sort()
    .map((key) => ({ key, value: record[key] as string }));
}

// ---- Terraform ---------------------------------------------------------------------------

function terraformView(config: JetStreamConfig, source: string, notes: string[]) {
  // Resource names: a letter or "_" first, then letters, digits, "_" and "-".
  const tfName = identifiers((name) => {
    const n = name.replace(/[^A-Za-z0-9_-]+/g, "_");
    return /^[A-Za-z_]/.test(n) ? n : `_${n}`;
  });
  const seconds = (what: string, ms: number): number => {
    const { seconds: s, roundedUp } = msToSeconds(ms);
    if (roundedUp)
      notes.push(`${what}: ${ms}ms rounded up to ${s}s (Terraform takes whole seconds)`);
    return s;
  };
  const streamIds = new Map<string, string>();
  const streams = config.streams
    .filter((s) => s.role !== "kv")
    .map((s: DesiredStream) => {
      const id = tfName(s.name);
      streamIds.set(s.name, id);
      return {
        id,
        ...s,
        maxAgeSeconds: seconds(`stream ${s.name} max_age`, s.maxAgeMs),
        duplicateWindowSeconds: seconds(`stream ${s.name} duplicate_window`, s.duplicateWindowMs),
        placement: s.placement ? placementView(s.placement) : undefined,
        mirror: s.mirror ? sourceView(s.mirror) : undefined,
        sources: s.sources.map(sourceView),
      };
    });
  const buckets = config.buckets.map((b) => ({
    id: tfName(b.bucket),
    ...b,
    ttlSeconds: seconds(`bucket ${b.bucket} ttl`, b.ttlMs),
  }));
  const consumers = config.consumers.map((c: DesiredConsumer) => ({
    id: tfName(`${c.stream}_${c.durable}`),
    streamId: streamIds.get(c.stream) ?? tfName(c.stream),
    ...c,
    deliverAll: c.deliverPolicy === "all",
    deliverNew: c.deliverPolicy === "new",
    deliverLast: c.deliverPolicy === "last",
    ackWaitSeconds: seconds(`consumer ${c.stream}/${c.durable} ack_wait`, c.ackWaitMs),
  }));
  return { generator: GENERATOR, source, streams, buckets, consumers };
}
