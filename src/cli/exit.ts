/** Exit statuses shared by every command. */
export const ExitCode = {
  /** Valid / compatible / nothing to change. */
  ok: 0,
  /** The input is wrong or breaking, or (plan) changes are pending. */
  invalid: 1,
  /** Could not run: missing or unreadable file, bad flags, unreachable server. */
  couldNotRun: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Thrown by CLI code for a user-facing failure to run (exit 2). The message is printed
 * as one line, without a stack trace.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
