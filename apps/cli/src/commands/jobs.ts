import fs from "node:fs";
import type { Command } from "commander";
import { CliFailure } from "../output/failure.ts";
import { printFields, printTable } from "../output/table.ts";
import { printJson } from "../output/terminal.ts";
import { apiClient, type RemoteOptions, remote, withRemoteOptions } from "../remote/apiClient.ts";
import { watchJob } from "./jobWatch.ts";
import { dateValue, positiveInt } from "./options.ts";

type JobView = {
  id: string;
  kind: string;
  status: string;
  priority: string | number;
  progress: number;
  attempts: number;
  maxAttempts: number;
  error: { code: string; message: string } | null;
  createdAt: Date;
  finishedAt: Date | null;
};

/** Jobs as a table for people. */
export function showJobs(jobs: JobView[]): void {
  printTable(
    ["id", "kind", "status", "priority", "progress", "attempts", "created", "error"],
    jobs.map((j) => [
      j.id,
      j.kind,
      j.status,
      j.priority,
      `${j.progress}%`,
      `${j.attempts}/${j.maxAttempts}`,
      j.createdAt.toISOString(),
      j.error ? `${j.error.code}: ${j.error.message}` : "",
    ]),
  );
}

/** One job's fields for people. */
export function showJob(job: JobView): void {
  printFields(Object.entries(job).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
}

function payloadOf(raw: string | undefined): unknown {
  if (raw === undefined) return {};
  const text = raw.startsWith("@") ? readPayloadFile(raw.slice(1)) : raw;
  try {
    return JSON.parse(text);
  } catch {
    throw new CliFailure("validation_error", "--payload is not valid JSON (pass JSON, or @file.json)");
  }
}

function readPayloadFile(file: string): string {
  if (!fs.existsSync(file)) throw new CliFailure("validation_error", `payload file ${file} does not exist`);
  return fs.readFileSync(file, "utf8");
}

/** `sluice jobs list|show|watch|cancel|retry|enqueue`. */
export function registerJobs(program: Command): void {
  const jobs = program.command("jobs").description("background jobs of the key's tenant");
  withRemoteOptions(
    jobs
      .command("list")
      .description("list jobs, newest first")
      .option("--kind <kind>", "only this kind")
      .option("--status <status>", "queued, active, completed, failed, cancelled or dead")
      .option("--limit <n>", "at most this many", positiveInt, 50)
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice jobs list --status failed --limit 20")
    .action(async (o: RemoteOptions & { kind?: string; status?: string; limit: number; json?: boolean }) => {
      const page = await remote(o, () =>
        apiClient(o).jobs.list.query({
          limit: Math.min(o.limit, 200),
          ...(o.kind ? { kind: o.kind } : {}),
          ...(o.status ? { status: o.status as never } : {}),
        }),
      );
      if (o.json) return printJson(page);
      showJobs(page.items);
    });
  withRemoteOptions(
    jobs.command("show <id>").description("show a job").option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice jobs show 7a0c…")
    .action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
      const job = await remote(o, () => apiClient(o).jobs.get.query({ id }));
      if (o.json) return printJson(job);
      showJob(job);
    });
  withRemoteOptions(
    jobs
      .command("watch <id>")
      .description("follow a job's progress until it ends (exit 0 completed, 1 otherwise)")
      .option("--json", "print each event as a JSON line"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice jobs watch 7a0c…")
    .action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
      await remote(o, () => watchJob(apiClient(o), id, o));
    });
  withRemoteOptions(
    jobs.command("cancel <id>").description("cancel a job").option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice jobs cancel 7a0c…")
    .action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
      const job = await remote(o, () => apiClient(o).jobs.cancel.mutate({ id }));
      if (o.json) return printJson(job);
      showJobs([job]);
    });
  withRemoteOptions(
    jobs
      .command("retry <id>")
      .description("run a dead or cancelled job again as a new job")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice jobs retry 7a0c…")
    .action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
      const job = await remote(o, () => apiClient(o).jobs.retry.mutate({ id }));
      if (o.json) return printJson(job);
      showJobs([job]);
    });
  withRemoteOptions(
    jobs
      .command("enqueue <kind>")
      .description("queue a job")
      .option("--payload <json>", "the payload as JSON, or @file.json", undefined)
      .option("--priority <priority>", "high, default or low")
      .option("--idempotency-key <key>", "the same key returns the job created first")
      .option("--run-at <time>", "run no earlier than this", dateValue)
      .option("--webhook <url>", "post the job's final event here")
      .option("--watch", "follow it until it ends")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText(
      "after",
      `\nExample:\n  $ sluice jobs enqueue chat.complete --payload '{"request":{"model":"sim-small","messages":[{"role":"user","content":"hi"}]}}' --watch`,
    )
    .action(
      async (
        kind: string,
        o: RemoteOptions & {
          payload?: string;
          priority?: string;
          idempotencyKey?: string;
          runAt?: Date;
          webhook?: string;
          watch?: boolean;
          json?: boolean;
        },
      ) => {
        const client = apiClient(o);
        const { job, created } = await remote(o, () =>
          client.jobs.enqueue.mutate({
            kind,
            payload: payloadOf(o.payload),
            ...(o.priority ? { priority: o.priority as never } : {}),
            ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}),
            ...(o.runAt ? { runAt: o.runAt } : {}),
            ...(o.webhook ? { webhookUrl: o.webhook } : {}),
          }),
        );
        if (o.json && !o.watch) return printJson({ job, created });
        if (!o.json) showJobs([job]);
        if (o.watch) await remote(o, () => watchJob(client, job.id, o));
      },
    );
}
