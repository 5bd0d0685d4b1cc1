import type { Argv } from "yargs";
import { DEFAULT_SERVER, type JetStreamConnectOptions } from "../streams/connect-options.js";
import { UsageError } from "./exit.js";
import { checkInputFile, durationOption, listOption, valueOption } from "./options.js";

/**
 * How every command that talks to a server connects: the flags, defined once here, and
 * their check. A command adds `withConnectionFlags(yargs)` to its builder and calls
 * `connectionOptions(args, cwd)` before it does anything; `CONNECTION_FLAGS` names the
 * flags for commands that accept them in one mode only.
 */

const GROUP = "Connection:";

/** The parsed keys of the connection flags (yargs camel-cases `--tls-ca` to `tlsCa`). */
export const CONNECTION_FLAGS = [
  "server",
  "creds",
  "nkey",
  "user",
  "password",
  "token",
  "tlsCa",
  "tlsCert",
  "tlsKey",
  "timeout",
  "jsDomain",
  "jsApiPrefix",
] as const;

export function withConnectionFlags(yargs: Argv): Argv {
  return yargs
    .option("server", {
      ...listOption("server", `NATS server URLs; default ${DEFAULT_SERVER}`),
      alias: "s",
    })
    .option("creds", valueOption("creds", "User credentials file (JWT and NKey seed)"))
    .option("nkey", valueOption("nkey", "NKey seed file"))
    .option("user", valueOption("user", "User name"))
    .option("password", valueOption("password", "Password (with --user)"))
    .option("token", valueOption("token", "Authentication token"))
    .option("tls-ca", valueOption("tls-ca", "CA certificate file to verify the server"))
    .option("tls-cert", valueOption("tls-cert", "Client certificate file (with --tls-key)"))
    .option("tls-key", valueOption("tls-key", "Client private key file (with --tls-cert)"))
    .option("timeout", durationOption("timeout", "Connection and request timeout; default 5s"))
    .option(
      "js-domain",
      valueOption(
        "js-domain",
        "JetStream domain to talk to (a leaf node or hub): $JS.<domain>.API",
      ),
    )
    .option(
      "js-api-prefix",
      valueOption("js-api-prefix", "JetStream API prefix (an imported account's API)"),
    )
    .group(
      [
        "server",
        "creds",
        "nkey",
        "user",
        "password",
        "token",
        "tls-ca",
        "tls-cert",
        "tls-key",
        "timeout",
        "js-domain",
        "js-api-prefix",
      ],
      GROUP,
    );
}

/**
 * The connection the flags describe, checked before any connection is tried: server URLs
 * parse, named files exist, and the flags that go together are given together.
 */
export function connectionOptions(
  args: Record<string, unknown>,
  cwd: string,
): JetStreamConnectOptions {
  const text = (key: string) => (typeof args[key] === "string" ? (args[key] as string) : undefined);
  const servers = (args.server as string[] | undefined) ?? [DEFAULT_SERVER];
  for (const server of servers) checkServerUrl(server);

  const files: [string, string | undefined][] = [
    ["creds", text("creds")],
    ["nkey", text("nkey")],
    ["tls-ca", text("tlsCa")],
    ["tls-cert", text("tlsCert")],
    ["tls-key", text("tlsKey")],
  ];
  for (const [flag, file] of files) if (file !== undefined) checkInputFile(flag, file, cwd);

  const user = text("user");
  const password = text("password");
  if (password !== undefined && user === undefined) throw new UsageError("--password needs --user");
  const methods = [
    ["--creds", text("creds")],
    ["--nkey", text("nkey")],
    ["--user", user],
    ["--token", text("token")],
  ].filter(([, v]) => v !== undefined);
  if (methods.length > 1) {
    throw new UsageError(
      `${methods.map(([f]) => f).join(" and ")} are different ways to authenticate; give one`,
    );
  }
  const domain = text("jsDomain");
  const apiPrefix = text("jsApiPrefix");
  if (domain !== undefined && apiPrefix !== undefined) {
    throw new UsageError(
      "--js-domain and --js-api-prefix both name the JetStream API (a domain is the prefix $JS.<domain>.API); give one",
    );
  }
  if (domain !== undefined) checkToken("--js-domain", domain);
  if (apiPrefix !== undefined) checkSubject("--js-api-prefix", apiPrefix);
  if ((text("tlsCert") === undefined) !== (text("tlsKey") === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together (mutual TLS needs both)");
  }

  const options: { -readonly [K in keyof JetStreamConnectOptions]: JetStreamConnectOptions[K] } = {
    server: servers,
  };
  const copy = [
    ["creds", "creds"],
    ["nkey", "nkey"],
    ["user", "user"],
    ["password", "password"],
    ["token", "token"],
    ["tlsCa", "tlsCa"],
    ["tlsCert", "tlsCert"],
    ["tlsKey", "tlsKey"],
    ["domain", "jsDomain"],
    ["apiPrefix", "jsApiPrefix"],
  ] as const;
  for (const [to, from] of copy) {
    const value = text(from);
    if (value !== undefined) options[to] = value;
  }
  if (typeof args.timeout === "number") options.timeoutMs = args.timeout;
  return options;
}

/** A domain is one subject token: no dots, spaces or wildcards. */
function checkToken(flag: string, value: string): void {
  if (!/^[^.\s*>]+$/.test(value)) {
    throw new UsageError(
      `${flag} ${value}: a JetStream domain is one word (no dots, spaces, * or >)`,
    );
  }
}

/** A subject prefix: dot-separated tokens without wildcards or spaces. */
function checkSubject(flag: string, value: string): void {
  if (!/^[^.\s*>]+(\.[^.\s*>]+)*$/.test(value)) {
    throw new UsageError(`${flag} ${value}: not a subject prefix (like $JS.hub.API)`);
  }
}

/** `nats://host:port`, `tls://host`, or `host:port` as nats.js accepts them. */
function checkServerUrl(server: string): void {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `nats://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`--server ${server} is not a server URL (like nats://127.0.0.1:4222)`);
  }
  if (url.protocol !== "nats:" && url.protocol !== "tls:") {
    throw new UsageError(`--server ${server}: use a nats:// or tls:// URL`);
  }
  if (url.hostname === "") {
    throw new UsageError(`--server ${server} names no host (like nats://127.0.0.1:4222)`);
  }
}
