import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { insertTenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { startSimulator } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCascadeToFile } from "../config/cascadesFile.ts";
import { parseConfig } from "../config/configSchema.ts";
import { createLlmRuntime, type LlmRuntime } from "./llmRuntime.ts";

const t = useTestDatabase();
let sim: Awaited<ReturnType<typeof startSimulator>>;
let runtime: LlmRuntime;
const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-runtime-"));

beforeAll(async () => {
  sim = await startSimulator();
  writeCascadeToFile(path.join(home, "cascades.json"), {
    name: "budget",
    tiers: [{ model: "sim-small" }, { model: "sim-medium" }],
    confidenceThreshold: 0.5,
  });
  runtime = createLlmRuntime(
    parseConfig({
      SLUICE_SIMULATOR_URL: sim.url,
      SLUICE_HOME: home,
      SLUICE_CASCADES: JSON.stringify([
        { name: "trio", tiers: [{ model: "sim-small" }, { model: "sim-medium" }, { model: "sim-large" }] },
      ]),
    }),
    t.db,
  );
});
afterAll(async () => {
  await runtime.close();
  await sim.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const ask = (model: string) => ({ model, messages: [{ role: "user" as const, content: "Hello there" }] });

describe("LLM runtime", () => {
  it("accepts cascade:<name> wherever a model name is accepted, and records the run", async () => {
    const tenantId = (await insertTenant(t.db, { name: "runtime" })).id;
    const done = await runtime.complete(ask("cascade:simulator"), { tenantId, requestId: "rt-1" });
    expect(done).toMatchObject({ requested: "cascade:simulator", modelUsed: expect.stringMatching(/^sim-/) });
    expect(done.cascade?.attempts.length).toBeGreaterThan(0);
    const runs = await t.db.selectFrom("cascadeRuns").selectAll().where("requestId", "=", "rt-1").execute();
    expect(runs).toHaveLength(1);
    const plain = await runtime.complete(ask("sim-small"));
    expect(plain).toMatchObject({ requested: "sim-small", modelUsed: "sim-small" });
    expect(plain.cascade).toBeUndefined();
  });

  it("returns every choice of n, and refuses n > 1 where it cannot be honoured", async () => {
    const three = await runtime.complete({ ...ask("sim-small"), n: 3 });
    expect(three.choices).toHaveLength(3);
    expect(three.choices[0]?.content).toBe(three.content);
    await expect(runtime.complete({ ...ask("cascade:simulator"), n: 2 })).rejects.toMatchObject({
      code: "validation_error",
      details: { field: "n" },
    });
    await expect(runtime.complete({ ...ask("claude-sonnet-4-5"), n: 2 })).rejects.toMatchObject({
      code: "validation_error",
      details: { field: "n" },
    });
  });

  it("knows cascades from defaults, configuration and the cascades file", () => {
    expect(
      runtime.cascades
        .list()
        .map((c) => c.name)
        .sort(),
    ).toEqual(["anthropic", "budget", "openai", "simulator", "trio"]);
    expect(runtime.cascades.get("budget").confidenceThreshold).toBe(0.5);
    expect(runtime.cascades.get("trio").tiers).toHaveLength(3);
  });

  it("names an unknown cascade", async () => {
    await expect(runtime.complete(ask("cascade:nope"))).rejects.toMatchObject({
      code: "not_found",
      message: 'unknown cascade "nope"',
    });
  });
});
