import type { CompatibilityMode } from "./types.js";

/** Every compatibility mode, in the order reports list them. */
export const COMPATIBILITY_MODES: readonly CompatibilityMode[] = [
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FORWARD",
  "FORWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
  "NONE",
];
