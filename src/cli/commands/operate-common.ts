/** What `dlq` and `status` share: loading the contract, connecting, mapping operate errors. */
import type { Contract } from "../../model/types.js";
import { OperateInputError, OperateServerError } from "../../operate/index.js";
import { FILE_UNREADABLE, loadContract } from "../../spec/index.js";
import {
  connectJetStream,
  type JetStreamConnectOptions,
  StreamsError,
} from "../../streams/index.js";
import { ExitCode, UsageError } from "../exit.js";
import { formatText } from "../format-problems.js";
import type { CliIO } from "../io.js";

/** The contract, or the exit code after its problems were printed. */
export async function loadContractOrExit(
  spec: string,
  refs: { allowRemoteRefs: boolean; allowOutsideRefs: boolean },
  io: CliIO,
): Promise<Contract | ExitCode> {
  const { contract, problems } = await loadContract(spec, { cwd: io.cwd, ...refs });
  const errors = problems.filter((p) => p.severity === "error");
  if (errors.length > 0 || !contract) {
    io.err(formatText(errors.length > 0 ? errors : problems));
    return problems.some((p) => p.ruleId === FILE_UNREADABLE)
      ? ExitCode.couldNotRun
      : ExitCode.invalid;
  }
  return contract as Contract;
}

/** Connects as the (already checked) connection flags say, runs `work`, closes; operate errors become one line. */
export async function withServer<T>(
  options: JetStreamConnectOptions,
  work: (session: Awaited<ReturnType<typeof connectJetStream>>) => Promise<T>,
): Promise<T> {
  let session: Awaited<ReturnType<typeof connectJetStream>> | undefined;
  try {
    session = await connectJetStream(options);
    return await work(session);
  } catch (error) {
    if (
      error instanceof OperateInputError ||
      error instanceof OperateServerError ||
      error instanceof StreamsError
    ) {
      throw new UsageError(error.message);
    }
    throw error;
  } finally {
    await session?.close().catch(() => undefined);
  }
}

/** Both ends of the terminal are a TTY: prompts and progress make sense. */
export function onTerminal(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}
