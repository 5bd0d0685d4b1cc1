import { fileURLToPath } from "node:url";
import type { Contract } from "../../../src/model/types.js";
import { loadContract } from "../../../src/spec/index.js";

/** The repository root, where `specs/orders.asyncapi.yaml` lives. */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const EXAMPLE_SPEC = "specs/orders.asyncapi.yaml";

/** The example contract, through the real loader (paths relative to the repository root). */
export function loadExample(): Promise<Contract> {
  cached ??= load();
  return cached;
}

let cached: Promise<Contract> | undefined;

async function load(): Promise<Contract> {
  const { contract, problems } = await loadContract(EXAMPLE_SPEC, { cwd: ROOT });
  if (!contract) throw new Error(`the example spec does not load: ${JSON.stringify(problems)}`);
  return contract;
}
