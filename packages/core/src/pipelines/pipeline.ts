import type { Db } from "@sluice/db";
import type { z } from "zod";
import type { CascadeRegistry } from "../cascade/cascadeRegistry.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import type { RunAdmission } from "../limits/gatedModels.ts";
import type { ModelClient } from "../llm/modelClient.ts";
import { abortError, isAbort } from "../providers/providerErrors.ts";
import { parseOrThrow } from "../schemas/validationError.ts";

/** Log methods a pipeline may use (pino's shape). */
export interface PipelineLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What every stage of a pipeline can reach. */
export interface PipelineContext {
  tenantId: string;
  db: Db;
  models: ModelClient;
  cascades: CascadeRegistry;
  /** Admits a run of model calls as one request under the spend gate (see `admittedRuns`). */
  admit?: RunAdmission | undefined;
  signal: AbortSignal;
  logger: PipelineLogger;
  requestId?: string;
  jobId?: string;
  /** Reports progress of a longer run (0–100). */
  progress?: (percent: number, message?: string) => void;
}

/** The stages of a pipeline: acquire → prepare → process → parse → render. */
export interface PipelineDefinition<In, Acquired, Prepared, Raw, Parsed, Out> {
  name: string;
  input: z.ZodType<In>;
  output: z.ZodType<Out>;
  acquire(input: In, ctx: PipelineContext): Promise<Acquired>;
  prepare(acquired: Acquired, ctx: PipelineContext): Prepared | Promise<Prepared>;
  process(prepared: Prepared, ctx: PipelineContext): Promise<Raw>;
  parse(raw: Raw, ctx: PipelineContext): Parsed | Promise<Parsed>;
  render(parsed: Parsed, ctx: PipelineContext, acquired: Acquired): Out | Promise<Out>;
}

/** Any pipeline, for code that runs them generically. */
// biome-ignore lint/suspicious/noExplicitAny: stage types vary per pipeline; runners only need In/Out
export type AnyPipeline<In = any, Out = any> = PipelineDefinition<In, any, any, any, any, Out>;

/** Declares a pipeline, keeping every stage's types. */
export function definePipeline<In, Acquired, Prepared, Raw, Parsed, Out>(
  definition: PipelineDefinition<In, Acquired, Prepared, Raw, Parsed, Out>,
): PipelineDefinition<In, Acquired, Prepared, Raw, Parsed, Out> {
  return definition;
}

type Stage = "acquire" | "prepare" | "process" | "parse" | "render";

async function stage<T>(
  pipeline: string,
  name: Stage,
  signal: AbortSignal,
  run: () => T | Promise<T>,
): Promise<T> {
  if (signal.aborted) throw abortError(signal);
  try {
    return await run();
  } catch (error) {
    if (isAbort(error) || signal.aborted) throw abortError(signal);
    const code = error instanceof SluiceError ? error.code : "internal_error";
    const reason = error instanceof Error ? error.message : String(error);
    throw new SluiceError(code, `${pipeline}: ${name} failed: ${reason}`, {
      details: { pipeline, stage: name, ...(error instanceof SluiceError ? error.details : {}) },
      cause: error,
      ...(error instanceof SluiceError ? { retriable: error.retriable } : {}),
    });
  }
}

/** Runs one item through every stage; a failure names the stage and why. */
export async function runPipeline<In, Out>(
  pipeline: AnyPipeline<In, Out>,
  rawInput: unknown,
  ctx: PipelineContext,
): Promise<Out> {
  const input = parseOrThrow(pipeline.input, rawInput, `${pipeline.name} input`);
  const { name } = pipeline;
  const acquired = await stage(name, "acquire", ctx.signal, () => pipeline.acquire(input, ctx));
  const prepared = await stage(name, "prepare", ctx.signal, () => pipeline.prepare(acquired, ctx));
  const raw = await stage(name, "process", ctx.signal, () => pipeline.process(prepared, ctx));
  const parsed = await stage(name, "parse", ctx.signal, () => pipeline.parse(raw, ctx));
  const output = await stage(name, "render", ctx.signal, () => pipeline.render(parsed, ctx, acquired));
  return parseOrThrow(pipeline.output, output, `${pipeline.name} output`);
}

/** The outcome of one item of a batch run. */
export type ItemResult<In, Out> =
  | { ok: true; input: In; output: Out }
  | { ok: false; input: In; error: { code: string; message: string; stage?: string } };

/** Runs many items with bounded concurrency; one item's failure does not stop the others. */
export async function runPipelineMany<In, Out>(
  pipeline: AnyPipeline<In, Out>,
  inputs: In[],
  ctx: PipelineContext,
  options: { concurrency?: number } = {},
): Promise<ItemResult<In, Out>[]> {
  const results: ItemResult<In, Out>[] = new Array(inputs.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const index = next++;
      const input = inputs[index] as In;
      try {
        results[index] = { ok: true, input, output: await runPipeline(pipeline, input, ctx) };
      } catch (error) {
        if (isAbort(error)) throw error;
        const e = error instanceof SluiceError ? error : new SluiceError("internal_error", String(error));
        const stageName = e.details?.stage;
        results[index] = {
          ok: false,
          input,
          error: {
            code: e.code,
            message: e.message,
            ...(typeof stageName === "string" ? { stage: stageName } : {}),
          },
        };
      }
      done++;
      ctx.progress?.(Math.floor((done * 100) / inputs.length), `${done}/${inputs.length}`);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, inputs.length)) }, worker),
  );
  return results;
}
