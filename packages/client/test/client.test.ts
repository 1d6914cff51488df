import { type ApiServer, startApiServer } from "@sluice/api";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSluiceClient } from "../src/createSluiceClient.ts";

const t = useTestDatabase();
let api: ApiServer;

beforeAll(async () => {
  api = await startApiServer({ db: t.db }, { host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await api.close();
});

describe("createSluiceClient", () => {
  it("calls a procedure over HTTP with typed results and propagates the request id", async () => {
    const client = createSluiceClient({ url: `${api.url}/`, headers: { "X-Request-ID": "client-1" } });
    const health = await client.health.check.query();
    expect(health).toEqual({
      status: "ready",
      checks: { database: "ok", migrations: "ok" },
      requestId: "client-1",
    });
  });

  it("sends the API key as a bearer token", async () => {
    const seen: string[] = [];
    const client = createSluiceClient({
      url: api.url,
      apiKey: "slk_test",
      fetch: async (input, init) => {
        seen.push(
          new Headers(init?.headers as ConstructorParameters<typeof Headers>[0]).get("authorization") ?? "",
        );
        return fetch(input as string, init as RequestInit);
      },
    });
    await client.health.check.query();
    expect(seen).toEqual(["Bearer slk_test"]);
  });
});
