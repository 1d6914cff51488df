import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createCascadeRegistry } from "../cascade/cascadeRegistry.ts";
import { parseConfig } from "../config/configSchema.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import { createModelClient } from "../llm/modelClient.ts";
import { createModelRegistry } from "../models/modelRegistry.ts";
import { createProviderRegistry } from "../providers/providerRegistry.ts";
import { definePipeline, type PipelineContext, runPipeline, runPipelineMany } from "./pipeline.ts";

const t = useTestDatabase();
const registry = createModelRegistry();
const silent = { info() {}, warn() {}, error() {} };
const ctx = (
  signal = new AbortController().signal,
  progress?: PipelineContext["progress"],
): PipelineContext => ({
  tenantId: "00000000-0000-0000-0000-000000000000",
  db: t.db,
  models: createModelClient({ registry, providers: createProviderRegistry(parseConfig({}).providers) }),
  cascades: createCascadeRegistry(registry),
  signal,
  logger: silent,
  ...(progress ? { progress } : {}),
});

const doubler = definePipeline({
  name: "doubler",
  input: z.object({ n: z.number() }),
  output: z.object({ doubled: z.number() }),
  acquire: async ({ n }) => n,
  prepare: (n) => {
    if (n === 13) throw new Error("unlucky number");
    return n * 2;
  },
  process: async (n) => `${n}`,
  parse: (raw) => Number(raw),
  render: (doubled) => ({ doubled }),
});

describe("pipelines", () => {
  it("runs every stage in order with typed values", async () => {
    expect(await runPipeline(doubler, { n: 21 }, ctx())).toEqual({ doubled: 42 });
  });

  it("rejects bad input with a validation error before any stage", async () => {
    await expect(runPipeline(doubler, { n: "x" }, ctx())).rejects.toMatchObject({ code: "validation_error" });
  });

  it("names the failing stage and the reason", async () => {
    const error = await runPipeline(doubler, { n: 13 }, ctx()).catch((e: SluiceError) => e);
    expect(error).toBeInstanceOf(SluiceError);
    expect(error).toMatchObject({
      code: "internal_error",
      message: "doubler: prepare failed: unlucky number",
      details: { stage: "prepare" },
    });
  });

  it("runs many with per-item results and progress; one failure does not sink the rest", async () => {
    const progress: number[] = [];
    const results = await runPipelineMany(
      doubler,
      [{ n: 1 }, { n: 13 }, { n: 3 }],
      ctx(undefined, (p) => progress.push(p)),
      { concurrency: 2 },
    );
    expect(results.map((r) => (r.ok ? r.output.doubled : r.error.stage))).toEqual([2, "prepare", 6]);
    expect(progress.at(-1)).toBe(100);
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runPipeline(doubler, { n: 1 }, ctx(controller.signal))).rejects.toMatchObject({
      name: "AbortError",
    });
  });
});
