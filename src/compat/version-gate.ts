import type { CompatibilityMode, Contract } from "../model/types.js";
import { fails, judge } from "./report.js";
import { ruleById } from "./rules.js";
import type { DiffOptions, ReportedChange } from "./types.js";

/** The major number of a `MAJOR.MINOR.PATCH` version (a leading `v` allowed); else undefined. */
export function majorOf(version: string): number | undefined {
  const match = /^v?(\d+)\.\d+\.\d+(?:[-+].*)?$/.exec(version.trim());
  return match?.[1] !== undefined ? Number(match[1]) : undefined;
}

/**
 * Version-aware gating (oasdiff's missing-version-bump idea): a breaking change is accepted
 * when the new `info.version` has a greater major number than the version it breaks, and
 * otherwise one more finding says the major number must go up.
 */
export function gateOnVersion(
  changes: readonly ReportedChange[],
  versions: ReadonlyMap<string, Contract>,
  current: Contract,
  mode: CompatibilityMode,
  options: DiffOptions,
): ReportedChange[] {
  const now = current.info.version;
  const nowMajor = majorOf(now);
  const gated = changes.map((c) => {
    if (!fails(c)) return c;
    const before = versions.get(c.against)?.info.version;
    const beforeMajor = before !== undefined ? majorOf(before) : undefined;
    if (nowMajor === undefined || beforeMajor === undefined || nowMajor <= beforeMajor) return c;
    return { ...c, ignoredReason: `new major version ${now} (was ${before})` };
  });
  const unbumped = gated.filter((c) => fails(c));
  if (unbumped.length === 0) return gated;
  const against = unbumped[0]?.against ?? "";
  const before = versions.get(against)?.info.version ?? "?";
  const beforeMajor = majorOf(before);
  const message =
    nowMajor === undefined
      ? `info.version "${now}" is not MAJOR.MINOR.PATCH, so the ${unbumped.length} breaking change(s) cannot be released as a new major version`
      : `${unbumped.length} breaking change(s) need a new major version: info.version is ${now} (was ${before})`;
  const rule = ruleById("major-version-bump-missing");
  const location = { ...current.location, pointer: "/info/version" };
  const change = judge(
    {
      ruleId: rule.id,
      message,
      path: "/info/version",
      backward: rule.backward,
      forward: rule.forward,
      location,
      side: "new",
    },
    { kind: "contract", element: "info.version" },
    mode === "NONE" ? "FULL" : mode,
    against,
    options,
  );
  const fix = beforeMajor !== undefined ? `set info.version to ${beforeMajor + 1}.0.0` : change.fix;
  return [...gated, { ...change, ...(fix ? { fix } : {}) }];
}
