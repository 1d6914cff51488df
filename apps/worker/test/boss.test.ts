import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { BOSS_SCHEMA, startBoss, stopBoss } from "../src/boss.ts";

const t = useTestDatabase();

describe("startBoss", () => {
  it("installs pg-boss in its own schema and runs a job end to end", async () => {
    const boss = await startBoss({ connectionString: t.url });
    try {
      const schemas = await t.db.introspection.getSchemas();
      expect(schemas.map((s) => s.name)).toContain(BOSS_SCHEMA);

      await boss.createQueue("smoke");
      const done = new Promise<unknown>((resolve) => {
        void boss.work<{ n: number }>("smoke", { pollingIntervalSeconds: 0.5 }, async ([job]) => {
          resolve(job?.data);
        });
      });
      expect(await boss.send("smoke", { n: 42 })).toMatch(/^[0-9a-f-]{36}$/);
      expect(await done).toEqual({ n: 42 });
    } finally {
      await stopBoss(boss, 5_000);
    }
  });
});
