import { type FileHandle, open, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Problem } from "../model/problem.js";
import type { SourceLocation } from "../model/types.js";
import { getAt, isRecord, joinPointer, parsePointer, toPointer } from "./pointer.js";
import { MAX_FILE_BYTES, parseSource, type SourceFile } from "./source.js";
import { walk } from "./walk.js";

export type ReadFileHook = (absolutePath: string) => Promise<string>;

/** Where a `$ref` points: a file and a JSON pointer inside it. */
export interface RefTarget {
  readonly absolutePath: string;
  readonly pointer: string;
}

/** A value read from the workspace, with where it lives. */
export interface Located<T = unknown> {
  readonly value: T;
  readonly absolutePath: string;
  readonly pointer: string;
  /** Set when the value was reached through `$ref`s: the target of the last one. */
  readonly refName?: string;
}

/** Thrown by `readText` when a file cannot be read; a failure to run, not a spec problem. */
export class FileReadError extends Error {
  override readonly name = "FileReadError";
}

const REMOTE = /^https?:\/\//i;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * All the files one contract is made of, loaded on demand, with `$ref` resolution across them.
 * Relative references resolve against the referring file; fragments are JSON pointers.
 */
export class Workspace {
  readonly files = new Map<string, SourceFile>();
  /** Files in load order (root first). */
  readonly order: string[] = [];
  readonly problems: Problem[] = [];
  private readonly failed = new Set<string>();

  /** The root document's folder (and its real path): local `$ref`s stay inside it unless allowed. */
  private rootDir: { readonly dir: string; readonly real: string } | undefined;

  constructor(
    readonly cwd: string,
    private readonly reader: ReadFileHook | undefined,
    readonly allowRemoteRefs: boolean,
    readonly allowOutsideRefs = false,
  ) {}

  display(absolutePath: string, asGiven?: string): string {
    if (asGiven !== undefined) return asGiven;
    if (REMOTE.test(absolutePath)) return absolutePath;
    const rel = path.relative(this.cwd, absolutePath);
    return rel === "" ? absolutePath : rel.split(path.sep).join("/");
  }

  /**
   * Reads raw text of a file through the hook or the file system (or, for an allowed remote
   * reference, over http), never more than MAX_FILE_BYTES. Throws FileReadError with a message
   * naming `shown`.
   */
  async readText(absolutePath: string, shown = this.display(absolutePath)): Promise<string> {
    const tooBig = () =>
      new FileReadError(
        `${shown} is larger than ${MAX_FILE_BYTES / 1048576} MiB; larger files are refused`,
      );
    if (REMOTE.test(absolutePath)) {
      if (!this.allowRemoteRefs)
        throw new FileReadError(`${shown}: remote references are not allowed`);
      let bytes: Uint8Array | undefined;
      try {
        const response = await fetch(absolutePath, { signal: AbortSignal.timeout(15_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        bytes = await readCapped(response.body);
      } catch (error) {
        throw new FileReadError(`cannot fetch ${shown}: ${messageOf(error)}`);
      }
      if (!bytes) throw tooBig();
      return decodeText(bytes);
    }
    if (this.reader) {
      let text: string;
      try {
        text = await this.reader(absolutePath);
      } catch (error) {
        throw new FileReadError(`cannot read ${shown}: ${messageOf(error)}`);
      }
      if (text.length > MAX_FILE_BYTES) throw tooBig();
      return text;
    }
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(absolutePath);
    } catch (error) {
      throw new FileReadError(
        (error as NodeJS.ErrnoException).code === "ENOENT"
          ? `no such file: ${shown}`
          : `cannot read ${shown}: ${messageOf(error)}`,
      );
    }
    if (info.isDirectory()) throw new FileReadError(`${shown} is a directory, not a file`);
    // Devices, pipes and sockets can be endless or block forever (`/dev/zero`, a FIFO).
    if (!info.isFile()) throw new FileReadError(`${shown} is not a regular file`);
    if (info.size > MAX_FILE_BYTES) {
      throw new FileReadError(
        `${shown} is ${Math.round(info.size / 1048576)} MiB; files above ${MAX_FILE_BYTES / 1048576} MiB are refused`,
      );
    }
    let bytes: Uint8Array | undefined;
    try {
      const handle = await open(absolutePath, "r");
      try {
        bytes = await readFileCapped(handle);
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw new FileReadError(`cannot read ${shown}: ${messageOf(error)}`);
    }
    if (!bytes) throw tooBig(); // grew while read
    return decodeText(bytes);
  }

  /** Loads and parses the root file. Throws FileReadError when it cannot be read. */
  async loadRoot(absolutePath: string, displayPath: string): Promise<void> {
    const dir = path.dirname(absolutePath);
    this.rootDir = { dir, real: this.reader ? dir : await realpath(dir).catch(() => dir) };
    this.add(absolutePath, await this.readText(absolutePath, displayPath), displayPath);
  }

  private add(absolutePath: string, text: string, displayPath?: string): void {
    const { file, problems } = parseSource(
      text,
      absolutePath,
      this.display(absolutePath, displayPath),
    );
    this.files.set(absolutePath, file);
    this.order.push(absolutePath);
    this.problems.push(...problems);
    if (problems.some((p) => p.severity === "error")) this.failed.add(absolutePath);
  }

  locate(absolutePath: string, pointer: string): SourceLocation {
    const file = this.files.get(absolutePath);
    if (file) return file.locate(pointer);
    return { file: this.display(absolutePath), line: 1, column: 1, pointer };
  }

  locateKey(absolutePath: string, pointer: string): SourceLocation {
    const file = this.files.get(absolutePath);
    if (file) return file.locateKey(pointer);
    return this.locate(absolutePath, pointer);
  }

  /** Parses a `$ref` string relative to the file it appears in. */
  target(
    ref: string,
    fromAbsolutePath: string,
  ): RefTarget | { remote: string } | { invalid: string } {
    const hash = ref.indexOf("#");
    const uri = hash >= 0 ? ref.slice(0, hash) : ref;
    let fragment = hash >= 0 ? ref.slice(hash + 1) : "";
    try {
      fragment = decodeURIComponent(fragment);
    } catch {
      return { invalid: `the fragment of \`${ref}\` is not valid percent-encoding` };
    }
    if (fragment !== "" && !fragment.startsWith("/")) {
      return {
        invalid: `\`${ref}\`: the part after \`#\` must be a JSON pointer starting with \`/\``,
      };
    }
    if (uri === "") return { absolutePath: fromAbsolutePath, pointer: fragment };
    if (REMOTE.test(uri) || REMOTE.test(fromAbsolutePath)) {
      let url: string;
      try {
        url = new URL(uri, REMOTE.test(fromAbsolutePath) ? fromAbsolutePath : undefined).href;
      } catch {
        return { invalid: `\`${ref}\` is not a valid URL` };
      }
      return this.allowRemoteRefs ? { absolutePath: url, pointer: fragment } : { remote: url };
    }
    let absolutePath: string;
    if (/^file:/i.test(uri)) {
      try {
        absolutePath = fileURLToPath(uri);
      } catch {
        return { invalid: `\`${ref}\` is not a valid file URL` };
      }
    } else if (SCHEME.test(uri) && !/^[a-z]:[\\/]/i.test(uri)) {
      return { invalid: `\`${ref}\` uses an unsupported URI scheme` };
    } else {
      let decoded = uri;
      try {
        decoded = decodeURI(uri);
      } catch {
        // keep as written
      }
      absolutePath = path.resolve(path.dirname(fromAbsolutePath), decoded);
    }
    return { absolutePath, pointer: fragment };
  }

  /**
   * Loads every local file reachable through `$ref`s from the loaded files and reports
   * remote refs (unless allowed), refs leaving the root document's folder (unless allowed),
   * dangling refs and reference-only cycles, each at the `$ref`. Files are all loaded first, so
   * a pointer that goes through a `$ref` into another file can be checked.
   */
  async loadReferences(): Promise<void> {
    const followed: { absolutePath: string; pointer: string; ref: string; target: RefTarget }[] =
      [];
    for (let i = 0; i < this.order.length; i++) {
      const absolutePath = this.order[i] as string;
      const file = this.files.get(absolutePath);
      if (!file || this.failed.has(absolutePath)) continue;
      for (const ref of collectRefs(file.value)) {
        const where = joinPointer(ref.pointer, "$ref");
        const target = this.target(ref.ref, absolutePath);
        if ("remote" in target) {
          this.report(
            "remote-ref",
            absolutePath,
            where,
            `remote reference \`${ref.ref}\` is not fetched; pass --allow-remote-refs (allowRemoteRefs: true) to allow it, or copy the file next to the spec`,
          );
          continue;
        }
        if ("invalid" in target) {
          this.report("invalid-ref", absolutePath, where, target.invalid);
          continue;
        }
        if (!this.files.has(target.absolutePath)) {
          if (this.failed.has(target.absolutePath)) continue;
          const outside = await this.outsideRoot(target.absolutePath);
          if (outside) {
            this.report(
              "outside-ref",
              absolutePath,
              where,
              `\`${ref.ref}\` leads outside the folder of the spec (${outside}) and is not followed; pass --allow-outside-refs (allowOutsideRefs: true) to allow it, or copy the file next to the spec`,
            );
            continue;
          }
          let text: string;
          try {
            text = await this.readText(target.absolutePath);
          } catch (error) {
            if (!(error instanceof FileReadError)) throw error;
            this.failed.add(target.absolutePath);
            this.report(
              "dangling-ref",
              absolutePath,
              where,
              `\`${ref.ref}\` cannot be followed: ${messageOf(error)}`,
            );
            continue;
          }
          this.add(target.absolutePath, text);
        }
        followed.push({ absolutePath, pointer: ref.pointer, ref: ref.ref, target });
      }
    }
    for (const { absolutePath, pointer, ref, target } of followed) {
      const where = joinPointer(pointer, "$ref");
      const hit = this.resolve(target);
      if (hit.status === "missing") {
        const shown =
          this.files.get(hit.absolutePath)?.displayPath ?? this.display(hit.absolutePath);
        this.report(
          "dangling-ref",
          absolutePath,
          where,
          `\`${ref}\` points at nothing: ${hit.pointer || "/"} does not exist in ${shown}`,
        );
      } else if (hit.status === "loop") {
        this.report(
          "ref-cycle",
          absolutePath,
          where,
          `\`${ref}\` never reaches a value: its pointer goes through a \`$ref\` that leads back into itself`,
        );
      } else if (hit.status === "found") {
        const cycle = this.refOnlyCycle({ absolutePath, pointer });
        if (cycle) this.report("ref-cycle", absolutePath, where, cycle);
      }
    }
  }

  /**
   * Undefined when `absolutePath` is inside the root document's folder (or outside refs are
   * allowed); else that folder as shown to the user. Symbolic links count where they lead.
   */
  private async outsideRoot(absolutePath: string): Promise<string | undefined> {
    const root = this.rootDir;
    if (this.allowOutsideRefs || !root || REMOTE.test(absolutePath)) return undefined;
    const inside = (dir: string, file: string) => {
      const rel = path.relative(dir, file);
      return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
    };
    const shown = this.display(root.dir) || ".";
    if (!inside(root.dir, absolutePath)) return shown;
    if (this.reader) return undefined;
    const real = await realpath(absolutePath).catch(() => undefined);
    return real === undefined || inside(root.real, real) ? undefined : shown;
  }

  /**
   * Finds the value a reference target names. A pointer may go through `$ref`s on its way, as
   * the AsyncAPI parser allows (`#/channels/echo/messages/echo` where `channels.echo` is a
   * `$ref` to another file): each `$ref` met before the last segment is followed. The value
   * found may itself be a `$ref` (see `deref`). `blocked` means a reference on the way could
   * not be followed (already reported).
   */
  resolve(
    target: RefTarget,
    hops = { left: MAX_REF_HOPS },
  ):
    | { status: "found"; value: unknown; absolutePath: string; pointer: string }
    | { status: "missing"; absolutePath: string; pointer: string }
    | { status: "loop" | "blocked" } {
    const file = this.files.get(target.absolutePath);
    if (!file || this.failed.has(target.absolutePath)) return { status: "blocked" };
    const segments = parsePointer(target.pointer) ?? [];
    let absolutePath = target.absolutePath;
    let walked: string[] = [];
    let value: unknown = file.value;
    for (const segment of segments) {
      while (isRecord(value) && typeof value.$ref === "string") {
        if (--hops.left < 0) return { status: "loop" };
        const next = this.target(value.$ref, absolutePath);
        if (!("absolutePath" in next)) return { status: "blocked" };
        const hit = this.resolve(next, hops);
        if (hit.status !== "found") return hit;
        absolutePath = hit.absolutePath;
        walked = parsePointer(hit.pointer) ?? [];
        value = hit.value;
      }
      const step = getAt(value, [segment]);
      walked.push(segment);
      if (!step.found) return { status: "missing", absolutePath, pointer: toPointer(walked) };
      value = step.value;
    }
    return { status: "found", value, absolutePath, pointer: toPointer(walked) };
  }

  private readonly reportedCycles = new Set<string>();

  /**
   * Follows a chain of `$ref`-only objects from the `$ref` at `start`. Returns a message when
   * `start` is on a loop that never reaches a value, once per loop (references leading into a
   * loop are not reported again).
   */
  private refOnlyCycle(start: RefTarget): string | undefined {
    const visited: string[] = [];
    const refs: string[] = [];
    let current: RefTarget = start;
    for (let steps = 0; steps < MAX_REF_HOPS; steps++) {
      const hit = this.resolve(current);
      if (hit.status !== "found") return undefined;
      const key = `${hit.absolutePath}#${hit.pointer}`;
      const seenAt = visited.indexOf(key);
      if (seenAt >= 0) {
        if (seenAt !== 0) return undefined; // start leads into a loop; the loop is reported at its own refs
        const members = [...visited].sort().join("|");
        if (this.reportedCycles.has(members)) return undefined;
        this.reportedCycles.add(members);
        return `\`$ref\` cycle: #${start.pointer} → ${refs.join(" → ")}: a reference that only leads back to itself never reaches a value`;
      }
      visited.push(key);
      const { value } = hit;
      if (!isRecord(value) || typeof value.$ref !== "string") return undefined;
      refs.push(value.$ref);
      const next = this.target(value.$ref, hit.absolutePath);
      if (!("absolutePath" in next)) return undefined;
      current = next;
    }
    return undefined;
  }

  private report(ruleId: string, absolutePath: string, pointer: string, message: string): void {
    this.problems.push({
      ruleId,
      severity: "error",
      message,
      location: this.locateKey(absolutePath, pointer),
    });
  }

  /** Value at a pointer of a loaded file. */
  get(absolutePath: string, pointer: string): unknown {
    const file = this.files.get(absolutePath);
    if (!file) return undefined;
    return getAt(file.value, parsePointer(pointer) ?? []).value;
  }

  /**
   * Follows `$ref`s from a value until a non-reference value. Returns undefined when a
   * reference cannot be followed (already reported by `loadReferences`).
   */
  deref(located: Located): Located | undefined {
    let current: Located = located;
    for (let steps = 0; steps < MAX_REF_HOPS; steps++) {
      const value = current.value;
      if (!isRecord(value) || typeof value.$ref !== "string") return current;
      const target = this.target(value.$ref, current.absolutePath);
      if (!("absolutePath" in target)) return undefined;
      const hit = this.resolve(target);
      if (hit.status !== "found") return undefined;
      current = {
        value: hit.value,
        absolutePath: hit.absolutePath,
        pointer: hit.pointer,
        refName: refName(target),
      };
    }
    return undefined;
  }
}

/** Most `$ref`s followed to reach one value: beyond it, references go round in a loop. */
const MAX_REF_HOPS = 100;

/** Name a reference target gives: the last pointer segment, or the file's base name. */
function refName(target: RefTarget): string {
  const segments = parsePointer(target.pointer) ?? [];
  const last = segments[segments.length - 1];
  if (last !== undefined && last !== "") return last;
  const base = path.basename(target.absolutePath);
  return base.replace(/\.(ya?ml|json)$/i, "");
}

/** Every `{ $ref: string }` in a value, with the pointer of the object holding it. */
function collectRefs(root: unknown): { ref: string; pointer: string }[] {
  const out: { ref: string; pointer: string }[] = [];
  walk(root, ({ value, pointer }) => {
    if (isRecord(value) && typeof value.$ref === "string") out.push({ ref: value.$ref, pointer });
    // Example data is not resolved (a property named `example` still is).
    const key = pointer.slice(pointer.lastIndexOf("/") + 1);
    if (key === "examples" && Array.isArray(value)) return false;
    if (key === "example" && !pointer.slice(0, pointer.lastIndexOf("/")).endsWith("/properties"))
      return false;
    return true;
  });
  return out;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads a byte stream to its end, or returns undefined as soon as it passes MAX_FILE_BYTES. */
async function readCapped(
  body: ReadableStream<Uint8Array> | null,
): Promise<Uint8Array | undefined> {
  if (!body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_FILE_BYTES) return undefined;
      chunks.push(Buffer.from(value));
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks, size);
}

/** Reads an open file to its end, or returns undefined as soon as it passes MAX_FILE_BYTES. */
async function readFileCapped(handle: FileHandle): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const buffer = Buffer.allocUnsafe(1 << 20);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) return Buffer.concat(chunks, size);
    size += bytesRead;
    if (size > MAX_FILE_BYTES) return undefined;
    chunks.push(buffer.subarray(0, bytesRead));
  }
}

/** UTF-8, or UTF-16 when a byte-order mark says so. */
function decodeText(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString("utf16le");
  if (b[0] === 0xfe && b[1] === 0xff) {
    const even = Buffer.from(b.subarray(2, b.length - (b.length % 2)));
    return even.swap16().toString("utf16le");
  }
  return b.toString("utf8"); // a UTF-8 BOM stays: parseSource drops it for every source
}
