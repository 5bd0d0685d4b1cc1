import { readFile as fsReadFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Problem } from "../model/problem.js";
import type { SourceLocation } from "../model/types.js";
import { getAt, isRecord, joinPointer, parsePointer } from "./pointer.js";
import { MAX_FILE_BYTES, parseSource, type SourceFile } from "./source.js";

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
  /** The text of each loaded file, for handing to the AsyncAPI parser. */
  readonly texts = new Map<string, string>();
  /** Files in load order (root first). */
  readonly order: string[] = [];
  readonly problems: Problem[] = [];
  private readonly failed = new Set<string>();

  constructor(
    readonly cwd: string,
    private readonly reader: ReadFileHook | undefined,
    readonly allowRemoteRefs: boolean,
  ) {}

  display(absolutePath: string, asGiven?: string): string {
    if (asGiven !== undefined) return asGiven;
    if (REMOTE.test(absolutePath)) return absolutePath;
    const rel = path.relative(this.cwd, absolutePath);
    return rel === "" ? absolutePath : rel.split(path.sep).join("/");
  }

  /**
   * Reads raw text of a file through the hook or the file system (or, for an allowed remote
   * reference, over http). Throws FileReadError with a message naming `shown`.
   */
  async readText(absolutePath: string, shown = this.display(absolutePath)): Promise<string> {
    if (REMOTE.test(absolutePath)) {
      if (!this.allowRemoteRefs)
        throw new FileReadError(`${shown}: remote references are not allowed`);
      try {
        const response = await fetch(absolutePath, { signal: AbortSignal.timeout(15_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return await response.text();
      } catch (error) {
        throw new FileReadError(`cannot fetch ${shown}: ${messageOf(error)}`);
      }
    }
    if (this.reader) {
      try {
        return await this.reader(absolutePath);
      } catch (error) {
        throw new FileReadError(`cannot read ${shown}: ${messageOf(error)}`);
      }
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
    if (info.size > MAX_FILE_BYTES) {
      throw new FileReadError(
        `${shown} is ${Math.round(info.size / 1048576)} MiB; files above ${MAX_FILE_BYTES / 1048576} MiB are refused`,
      );
    }
    try {
      return await fsReadFile(absolutePath, "utf8");
    } catch (error) {
      throw new FileReadError(`cannot read ${shown}: ${messageOf(error)}`);
    }
  }

  /** Loads and parses the root file. Throws FileReadError when it cannot be read. */
  async loadRoot(absolutePath: string, displayPath: string): Promise<void> {
    this.add(absolutePath, await this.readText(absolutePath, displayPath), displayPath);
  }

  private add(absolutePath: string, text: string, displayPath?: string): void {
    const { file, problems } = parseSource(
      text,
      absolutePath,
      this.display(absolutePath, displayPath),
    );
    this.texts.set(absolutePath, text);
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
   * remote refs (unless allowed), dangling refs and reference-only cycles, each at the `$ref`.
   */
  async loadReferences(): Promise<void> {
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
        if (!this.files.has(target.absolutePath) && !this.failed.has(target.absolutePath)) {
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
        const targetFile = this.files.get(target.absolutePath);
        if (!targetFile || this.failed.has(target.absolutePath)) continue;
        const segments = parsePointer(target.pointer) ?? [];
        if (!getAt(targetFile.value, segments).found) {
          this.report(
            "dangling-ref",
            absolutePath,
            where,
            `\`${ref.ref}\` points at nothing: ${target.pointer || "/"} does not exist in ${targetFile.displayPath}`,
          );
          continue;
        }
        const cycle = this.refOnlyCycle({ absolutePath, pointer: ref.pointer });
        if (cycle) this.report("ref-cycle", absolutePath, where, cycle);
      }
    }
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
    for (let steps = 0; steps < 1000; steps++) {
      const key = `${current.absolutePath}#${current.pointer}`;
      const seenAt = visited.indexOf(key);
      if (seenAt >= 0) {
        if (seenAt !== 0) return undefined; // start leads into a loop; the loop is reported at its own refs
        const members = [...visited].sort().join("|");
        if (this.reportedCycles.has(members)) return undefined;
        this.reportedCycles.add(members);
        return `\`$ref\` cycle: #${start.pointer} → ${refs.join(" → ")}: a reference that only leads back to itself never reaches a value`;
      }
      visited.push(key);
      const file = this.files.get(current.absolutePath);
      if (!file) return undefined;
      const { value } = getAt(file.value, parsePointer(current.pointer) ?? []);
      if (!isRecord(value) || typeof value.$ref !== "string") return undefined;
      refs.push(value.$ref);
      const next = this.target(value.$ref, current.absolutePath);
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
    for (let steps = 0; steps < 100; steps++) {
      const value = current.value;
      if (!isRecord(value) || typeof value.$ref !== "string") return current;
      const target = this.target(value.$ref, current.absolutePath);
      if (!("absolutePath" in target)) return undefined;
      const file = this.files.get(target.absolutePath);
      if (!file) return undefined;
      const hit = getAt(file.value, parsePointer(target.pointer) ?? []);
      if (!hit.found) return undefined;
      current = {
        value: hit.value,
        absolutePath: target.absolutePath,
        pointer: target.pointer,
        refName: refName(target),
      };
    }
    return undefined;
  }
}

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
  const stack: { value: unknown; pointer: string }[] = [{ value: root, pointer: "" }];
  while (stack.length > 0) {
    const { value, pointer } = stack.pop() as { value: unknown; pointer: string };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], pointer: joinPointer(pointer, i) });
    } else if (isRecord(value)) {
      if (typeof value.$ref === "string") out.push({ ref: value.$ref, pointer });
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        if (key === "$ref") continue;
        // Example data is not resolved (a property named `example` still is).
        if (key === "examples" && Array.isArray(value[key])) continue;
        if (key === "example" && !pointer.endsWith("/properties")) continue;
        stack.push({ value: value[key], pointer: joinPointer(pointer, key) });
      }
    }
  }
  return out;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
