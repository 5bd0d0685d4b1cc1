#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` via `prepare`).
let cli;
try {
  cli = await import("../dist/cli/main.js");
} catch (error) {
  process.stderr.write(
    error?.code === "ERR_MODULE_NOT_FOUND"
      ? "jetcontract: cannot load its modules: run `npm ci` (it also builds dist/)\n"
      : "jetcontract: internal error: cannot load the CLI (DEBUG=jetcontract prints the details)\n",
  );
  if (process.env.DEBUG?.includes("jetcontract")) process.stderr.write(`${error?.stack}\n`);
  process.exit(2);
}
// A failure that escapes main() (a rejection after it returned) still gets one readable line.
const escaped = (error) => {
  process.exitCode = cli.reportFailure(error, undefined);
};
process.on("uncaughtException", escaped);
process.on("unhandledRejection", escaped);
process.exitCode = await cli.main(process.argv.slice(2));
