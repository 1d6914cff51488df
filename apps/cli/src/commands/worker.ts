import { loadConfig } from "@sluice/core";
import { type Command, InvalidArgumentError } from "commander";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new InvalidArgumentError("must be a whole number from 1 to 10000");
  return n;
}

function kindList(value: string): string[] {
  const kinds = value
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  if (kinds.length === 0) throw new InvalidArgumentError("must name at least one job kind");
  return kinds;
}

/** `sluice worker [--queues k1,k2] [--concurrency N]`: runs jobs until SIGTERM or Ctrl-C. */
export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description("run background jobs (several worker processes share the queues)")
    .option("--queues <kinds>", "comma-separated job kinds to work (default: all)", kindList)
    .option(
      "--concurrency <n>",
      "jobs run at once in this process (default SLUICE_WORKER_CONCURRENCY, 20)",
      positiveInt,
    )
    .addHelpText(
      "after",
      "\nExamples:\n  $ sluice worker\n  $ sluice worker --queues tickets.classify,tickets.classifyBatch --concurrency 50",
    )
    .action(async (options: { queues?: string[]; concurrency?: number }) => {
      // Loaded on use: the other commands start faster without the worker's dependencies.
      const { loadWorkerEnv, runWorker } = await import("@sluice/worker");
      const running = await runWorker(loadConfig(), loadWorkerEnv(), {
        kinds: options.queues,
        concurrency: options.concurrency,
      });
      process.stdout.write(
        `sluice worker started (${running.worker.kinds.join(", ")})${running.metricsUrl ? `, metrics on ${running.metricsUrl}` : ""}\n`,
      );
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = () => {
          if (stopping) return;
          stopping = true;
          void running.stop().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      process.stdout.write("sluice worker stopped\n");
    });
}
