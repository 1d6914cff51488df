import type { SluiceClient } from "@sluice/client";
import cliProgress from "cli-progress";
import { CliFailure } from "../output/failure.ts";

interface WatchedEvent {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

/**
 * Follows a job until it ends: a progress bar for people (plain lines when not a terminal), one
 * JSON line per event with `json`. Resolves on completion; rejects with the job's error otherwise.
 */
export async function watchJob(client: SluiceClient, id: string, options: { json?: boolean }): Promise<void> {
  const tty = process.stdout.isTTY && !options.json;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: "{bar} {percentage}% {status}", hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(100, 0, { status: "waiting" });
  const last = await new Promise<WatchedEvent>((resolve, reject) => {
    const sub = client.jobs.onEvents.subscribe(
      { id },
      {
        onData: ({ data }) => {
          const event = data as unknown as WatchedEvent;
          if (options.json) process.stdout.write(`${JSON.stringify(event)}\n`);
          else if (bar) {
            const progress = typeof event.data.progress === "number" ? event.data.progress : undefined;
            const status = typeof event.data.message === "string" ? event.data.message : event.type;
            if (progress !== undefined) bar.update(progress, { status });
            else bar.update({ status });
            if (event.type === "completed") bar.update(100, { status: "completed" });
          } else if (!options.json) {
            const progress = typeof event.data.progress === "number" ? ` ${event.data.progress}%` : "";
            process.stdout.write(
              `${event.type}${progress}${event.data.message ? ` ${event.data.message}` : ""}\n`,
            );
          }
          if (["completed", "dead", "cancelled", "error"].includes(event.type)) {
            sub.unsubscribe();
            resolve(event);
          }
        },
        onError: (error) => {
          sub.unsubscribe();
          reject(error);
        },
      },
    );
  });
  bar?.stop();
  if (last.type === "completed") return;
  if (last.type === "error") {
    throw new CliFailure(
      String(last.data.code ?? "internal_error"),
      String(last.data.message ?? "the job cannot be followed"),
    );
  }
  const job = await client.jobs.get.query({ id });
  throw new CliFailure(
    job.error?.code ?? last.type,
    `job ${id} is ${job.status}${job.error ? `: ${job.error.message}` : ""}`,
  );
}
