import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { runScript } from "../../test/subprocess.ts";
import { createDb } from "../createDb.ts";
import { DatabaseError } from "../errors.ts";
import { startEmbeddedPostgres } from "./embeddedPostgres.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-embedded-test-"));
fs.chmodSync(root, 0o755);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("embedded Postgres", () => {
  it("starts on a fresh directory, stops, and keeps the data for the next start", async () => {
    const dataDir = path.join(root, "persist");
    const first = await startEmbeddedPostgres({ dataDir });
    expect(first.initialised).toBe(true);
    let db = createDb(first.urlFor("sluice"));
    await sql`create table notes (body text)`.execute(db);
    await sql`insert into notes values ('still here')`.execute(db);
    await db.destroy();
    await first.stop();
    expect(await accepts(first.port)).toBe(false);

    const second = await startEmbeddedPostgres({ dataDir });
    try {
      expect(second.initialised).toBe(false);
      db = createDb(second.urlFor("sluice"));
      const { rows } = await sql<{ body: string }>`select body from notes`.execute(db);
      expect(rows).toEqual([{ body: "still here" }]);
      await db.destroy();
    } finally {
      await second.stop();
    }
  });

  it("refuses a data directory another server holds, saying what to do", async () => {
    const dataDir = path.join(root, "locked");
    const holder = await startEmbeddedPostgres({ dataDir });
    try {
      const error = await startEmbeddedPostgres({ dataDir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseError);
      expect((error as DatabaseError).code).toBe("data_dir_locked");
      expect((error as DatabaseError).message).toMatch(
        /in use by another Postgres \(pid \d+\).*DATABASE_URL/,
      );
    } finally {
      await holder.stop();
    }
  });

  it("refuses a directory that is not a Postgres cluster", async () => {
    const dataDir = path.join(root, "corrupt");
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, "stray.txt"), "not a database");
    const error = await startEmbeddedPostgres({ dataDir }).catch((e: unknown) => e);
    expect((error as DatabaseError).code).toBe("data_dir_corrupt");
    expect((error as DatabaseError).message).toMatch(/move it aside or delete it/);
  });

  it("a failure after starting embedded Postgres still exits non-zero and stops the server", async () => {
    const script = fileURLToPath(new URL("../../test/fixtures/failWithEmbedded.ts", import.meta.url));
    const env = { ...process.env, DATABASE_URL: "" };
    const failing = await runScript(script, [path.join(root, "trap")], env);
    expect(failing.stderr).toContain("deliberate failure");
    expect(failing.code).toBe(1);
    const port = Number(/port=(\d+)/.exec(failing.stdout)?.[1]);
    expect(port).toBeGreaterThan(0);
    await expect.poll(() => accepts(port), { timeout: 20_000 }).toBe(false);

    const passing = await runScript(script, [path.join(root, "trap"), "pass"], env);
    expect(passing.code).toBe(0);
  });
});
