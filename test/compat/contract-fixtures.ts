import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Directory of the contract-rule fixtures: previous.yaml and one `<rule-id>.yaml` per rule. */
export const contractFixtureDir = fileURLToPath(new URL("./fixtures/contract/", import.meta.url));

/** Rule ids that have a contract fixture (a current version beside previous.yaml). */
export function contractFixtureIds(): string[] {
  return readdirSync(contractFixtureDir)
    .filter((f) => f.endsWith(".yaml") && f !== "previous.yaml")
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}
