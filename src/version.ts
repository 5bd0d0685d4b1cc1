import { readFileSync } from "node:fs";

/**
 * jetcontract's version, from its package.json (read once): named in generated files'
 * headers, so an upgrade that changes generated code says so.
 */
export const JETCONTRACT_VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;
