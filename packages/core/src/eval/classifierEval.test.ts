import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startSimulator, ticketDataset } from "@sluice/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCascade } from "../cascade/cascadeEngine.ts";
import { createCascadeRegistry } from "../cascade/cascadeRegistry.ts";
import { cascadeSpecSchema } from "../cascade/cascadeSpec.ts";
import { readCascadesFile, writeCascadeToFile } from "../config/cascadesFile.ts";
import { parseConfig } from "../config/configSchema.ts";
import { createModelClient, type ModelClient } from "../llm/modelClient.ts";
import { createModelRegistry } from "../models/modelRegistry.ts";
import { createProviderRegistry } from "../providers/providerRegistry.ts";
import { classifyRequest } from "../tickets/classifyPrompt.ts";
import { ticketClassificationSchema } from "../tickets/ticketSchemas.ts";
import { calibrateThreshold, cascadePath, summariseArms } from "./classifierEval.ts";
import { collectTierRecords } from "./tierRecords.ts";

let sim: Awaited<ReturnType<typeof startSimulator>>;
let models: ModelClient;
const registry = createModelRegistry();
const cascade = createCascadeRegistry(registry).get("simulator");
const tickets = ticketDataset(42).slice(0, 60);

beforeAll(async () => {
  sim = await startSimulator({ seed: 42 });
  models = createModelClient({
    registry,
    providers: createProviderRegistry(parseConfig({ SLUICE_SIMULATOR_URL: sim.url }).providers),
  });
});
afterAll(() => sim.close());

describe("classifier evaluation", () => {
  it("gives the same numbers on two runs with the same seed", async () => {
    const first = await collectTierRecords(models, cascade, tickets);
    const second = await collectTierRecords(models, cascade, tickets, { concurrency: 3 });
    const strip = (rows: typeof first) => rows.map((r) => r.map(({ latencyMs: _l, ...rest }) => rest));
    expect(strip(second)).toEqual(strip(first));
    const arms = summariseArms(cascade, first, 0.8);
    expect(arms.map((a) => a.arm)).toEqual(["sim-small", "sim-large", "cascade:simulator @ 0.8"]);
    const [small, large, cascaded] = arms;
    expect(large!.accuracy).toBeGreaterThan(small!.accuracy);
    expect(cascaded!.costMicros).toBeLessThan(large!.costMicros);
    expect(cascaded!.escalationRate).toBeGreaterThan(0);
    expect(large!.costVsTop).toBe(1);
  });

  it("predicts exactly what the live cascade does", async () => {
    const records = await collectTierRecords(models, cascade, tickets.slice(0, 15));
    for (const [i, ticket] of tickets.slice(0, 15).entries()) {
      const live = await runCascade(models, {
        cascade,
        request: classifyRequest(ticket),
        schema: ticketClassificationSchema,
        context: { cache: "off" },
      });
      const path = cascadePath(records[i]!, cascade.confidenceThreshold);
      expect(live.modelUsed).toBe(path.at(-1)!.model);
      expect(live.totalCostMicros).toBe(path.reduce((s, r) => s + r.costMicros, 0));
    }
  });

  it("calibrates the cheapest threshold meeting the accuracy target and saves it", async () => {
    const records = await collectTierRecords(models, cascade, tickets);
    const calibration = calibrateThreshold(cascade, records, 0.97)!;
    expect(calibration.result.accuracy).toBeGreaterThanOrEqual(0.97 * calibration.topAccuracy);
    for (const t of [0, 0.5, 0.7, 0.8, 0.9, 1.01]) {
      const other = summariseArms(cascade, records, t).at(-1)!;
      if (other.accuracy >= 0.97 * calibration.topAccuracy)
        expect(other.costMicros).toBeGreaterThanOrEqual(calibration.result.costMicros);
    }
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sluice-cascades-")), "cascades.json");
    writeCascadeToFile(file, { ...cascade, confidenceThreshold: calibration.threshold });
    const saved = readCascadesFile(file);
    expect(cascadeSpecSchema.parse(saved[0]).confidenceThreshold).toBe(calibration.threshold);
    expect(createCascadeRegistry(registry, saved as never).get("simulator").confidenceThreshold).toBe(
      calibration.threshold,
    );
  });
});
