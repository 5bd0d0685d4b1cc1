import { describe, expect, it } from "vitest";
import type { Contract } from "../../src/model/types.js";
import { loadContract } from "../../src/spec/index.js";
import { repoPath } from "./helpers.js";

/**
 * The 2.6 and 3.0 orders examples describe the same contract, so they must load into the same
 * model, except for what AsyncAPI 2.6 itself cannot say or says differently:
 * - source locations (`location`, `*Location`, `x-jc-at` in schemas) and `files` differ, as does
 *   `asyncapiVersion`;
 * - 2.6 keys channels by address, so channel ids are addresses: both models are rewritten to use
 *   addresses as channel ids (in channels, operations, messages and DLQ policies);
 * - 2.6 channel items have no `title`;
 * - a 2.6 channel carries messages only through its operations, and the dead-letter channels
 *   have none (the runtime publishes to them), so their message lists are left out.
 */
function normalise(contract: Contract): unknown {
  const idToAddress = new Map(contract.channels.map((c) => [c.id, c.address ?? c.id]));
  const dlq = new Set(contract.channels.filter((c) => c.isDeadLetter).map((c) => c.id));
  const ch = (id: string) => idToAddress.get(id) ?? id;
  const sorted = <T extends { id: string }>(list: T[]) =>
    list.sort((a, b) => (a.id < b.id ? -1 : 1));
  const shaped = {
    ...contract,
    channels: sorted(
      contract.channels.map(({ title: _title, ...c }) => ({
        ...c,
        id: ch(c.id),
        messageIds: dlq.has(c.id) ? [] : c.messageIds,
      })),
    ),
    messages: sorted(
      contract.messages.map((m) => ({
        ...m,
        channelIds: m.channelIds
          .filter((id) => !dlq.has(id))
          .map(ch)
          .sort(),
      })),
    ),
    operations: sorted(
      contract.operations.map((o) => ({
        ...o,
        channelId: ch(o.channelId),
        ...(o.action === "receive" && o.dlq
          ? { dlq: { ...o.dlq, channelId: ch(o.dlq.channelId) } }
          : {}),
      })),
    ),
  };
  return stripSources(shaped);
}

function stripSources(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripSources);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === "location" || key.endsWith("Location") || key === "x-jc-at") continue;
    if (key === "files" || key === "asyncapiVersion") continue;
    out[key] = stripSources(child);
  }
  return out;
}

async function load(file: string): Promise<Contract> {
  const { contract, problems } = await loadContract(repoPath(file));
  expect(problems).toEqual([]);
  return contract as Contract;
}

describe("AsyncAPI versions", () => {
  it("the 2.6 and 3.0 orders examples load into equal models", async () => {
    const v3 = await load("specs/orders.asyncapi.yaml");
    const v2 = await load("specs/orders.asyncapi-2.6.yaml");
    expect(v2.asyncapiVersion).toBe("2.6.0");
    expect(v3.asyncapiVersion).toBe("3.0.0");
    // 2.6: `publish` = the application receives, `subscribe` = it sends.
    expect(v2.operations.find((o) => o.id === "fulfilOrder")?.action).toBe("receive");
    expect(v2.operations.find((o) => o.id === "placeOrder")?.action).toBe("send");
    expect(v2.channels.map((c) => c.id)).toContain("payments.{region}.captured");
    expect(normalise(v2)).toEqual(normalise(v3));
  });

  it("the normalisation does not hide a difference", async () => {
    const v3 = await load("specs/orders.asyncapi.yaml");
    const changed: Contract = {
      ...v3,
      operations: v3.operations.map((o) =>
        o.id === "fulfilOrder" && o.action === "receive" && o.consumer
          ? { ...o, consumer: { ...o.consumer, ackWaitMs: 1 } }
          : o,
      ),
    };
    expect(normalise(changed)).not.toEqual(normalise(v3));
  });

  it("loads AsyncAPI 3.1", async () => {
    const v31 = await load("specs/inventory.asyncapi-3.1.yaml");
    expect(v31.asyncapiVersion).toBe("3.1.0");
    expect(v31.messages[0]?.idempotencyKey).toMatchObject({
      separator: "|",
      parts: [
        { source: "payload", pointer: "/sku" },
        { source: "header", pointer: "/adjustmentId", path: ["adjustmentId"] },
      ],
    });
  });
});
