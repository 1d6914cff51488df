import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  createDb,
  type Db,
  type EmbeddedPostgres,
  installQueueSchema,
  migrateToLatest,
  startEmbeddedPostgres,
} from "@sluice/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testApi.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-readyz-"));
fs.chmodSync(root, 0o755);
const dataDir = path.join(root, "pg");
let server: EmbeddedPostgres;
let db: Db;
let api: TestApi;

beforeAll(async () => {
  server = await startEmbeddedPostgres({ dataDir, ephemeral: true });
  db = createDb(server.urlFor("sluice"), { connectionTimeoutMillis: 1_000 });
  await migrateToLatest(db);
  await installQueueSchema(db);
  api = await startTestApi({ db, url: server.urlFor("sluice") });
});
afterAll(async () => {
  await api.close();
  await db.destroy();
  await server.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe("readiness follows the database", () => {
  it("fails while Postgres is down, quickly and in the envelope, and recovers when it is back", async () => {
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    await server.stop();
    const started = performance.now();
    const down = await fetch(`${api.url}/readyz`, { headers: { "x-request-id": "down-1" } });
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({
      error: { code: "service_unavailable", details: { database: "unreachable" } },
      request_id: "down-1",
    });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);

    server = await startEmbeddedPostgres({ dataDir, port: server.port, ephemeral: true });
    await expect.poll(async () => (await fetch(`${api.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
  });
});
