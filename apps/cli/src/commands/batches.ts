import fs from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { RouterOutputs, SluiceClient } from "@sluice/client";
import { formatMicros, isFinalBatchStatus } from "@sluice/core";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { CliFailure } from "../output/failure.ts";
import { printFields, printTable } from "../output/table.ts";
import { printJson } from "../output/terminal.ts";
import {
  apiClient,
  type RemoteOptions,
  remote,
  remoteTarget,
  withRemoteOptions,
} from "../remote/apiClient.ts";
import { positiveInt } from "./options.ts";

type Batch = RouterOutputs["batches"]["get"];

function showBatches(batches: Batch[]): void {
  printTable(
    ["id", "name", "model", "status", "tier", "requests", "ok", "errored", "cost $", "saved $", "created"],
    batches.map((b) => [
      b.id,
      b.name,
      b.model,
      b.status,
      b.tier,
      b.counts.total,
      b.counts.succeeded,
      b.counts.errored + b.counts.expired + b.counts.cancelled,
      formatMicros(b.costMicros),
      formatMicros(b.savingsMicros),
      b.createdAt.toISOString(),
    ]),
  );
}

function showBatch(b: Batch): void {
  printFields([
    ["id", b.id],
    ["name", b.name],
    ["model", b.model],
    ["provider", b.provider],
    ["status", b.status],
    ["tier", b.tier],
    ["provider batch", b.providerBatchId ?? ""],
    ["requests", b.counts.total],
    ["succeeded", b.counts.succeeded],
    ["errored", b.counts.errored],
    ["expired", b.counts.expired],
    ["cancelled", b.counts.cancelled],
    ["retried", b.retried],
    ["tokens in / out", `${b.usage.inputTokens} / ${b.usage.outputTokens}`],
    ["cost $ (batch pricing)", formatMicros(b.costMicros)],
    ["synchronous $", formatMicros(b.syncCostMicros)],
    ["saved $", formatMicros(b.savingsMicros)],
    ...(b.model.startsWith("cascade:")
      ? [["top tier alone $ (estimate)", formatMicros(b.topTierCostMicros)] as [string, string]]
      : []),
    ["error", b.error ?? ""],
    ["created", b.createdAt.toISOString()],
    ["finished", b.finishedAt?.toISOString() ?? ""],
  ]);
}

/** The API's REST error envelope as a CLI failure (first bad lines included). */
async function restFailure(res: Response): Promise<CliFailure> {
  const body = (await res.json().catch(() => undefined)) as
    | {
        error?: {
          code?: string;
          message?: string;
          details?: { issues?: { path: string; message: string }[] };
        };
        request_id?: string;
      }
    | undefined;
  const issues = body?.error?.details?.issues ?? [];
  const listed = issues
    .slice(0, 10)
    .map((i) => `\n  ${i.path}: ${i.message}`)
    .join("");
  const id = body?.request_id ? ` (request ${body.request_id})` : "";
  return new CliFailure(
    body?.error?.code ?? "internal_error",
    `${body?.error?.message ?? `HTTP ${res.status}`}${id}${listed}`,
  );
}

async function restCall(
  o: RemoteOptions,
  path: string,
  init: RequestInit & { duplex?: "half" },
): Promise<Response> {
  const { url, key } = remoteTarget(o);
  let res: Response;
  try {
    res = await fetch(`${url}${path}`, {
      ...init,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
  } catch (error) {
    throw new CliFailure(
      "service_unavailable",
      `cannot reach the Sluice API at ${url}: ${(error as Error).message} (is it running? try sluice up)`,
    );
  }
  if (!res.ok) throw await restFailure(res);
  return res;
}

/** Streams a JSONL file into a draft (nothing is added unless every line is valid). */
async function uploadRequests(o: RemoteOptions, id: string, file: string): Promise<{ added: number }> {
  if (!fs.existsSync(file)) throw new CliFailure("validation_error", `file ${file} does not exist`);
  const res = await restCall(o, `/v1/sluice/batches/${id}/requests`, {
    method: "POST",
    headers: { "content-type": "application/jsonl" },
    body: Readable.toWeb(fs.createReadStream(file)) as ReadableStream,
    duplex: "half",
  });
  return (await res.json()) as { added: number };
}

/** Follows a batch until it is final: a progress bar on terminals, one line per change otherwise. */
async function watchBatch(client: SluiceClient, id: string, options: { json?: boolean }): Promise<Batch> {
  const tty = process.stdout.isTTY && !options.json;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: "{bar} {value}/{total} {status}", hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const last = await new Promise<Batch>((resolve, reject) => {
    let started = false;
    const sub = client.batches.onProgress.subscribe(
      { id },
      {
        onData: ({ data }) => {
          if (data.type === "error") {
            sub.unsubscribe();
            reject(new CliFailure(data.code, data.message));
            return;
          }
          const b = data.batch;
          const answered = b.counts.succeeded + b.counts.errored + b.counts.expired + b.counts.cancelled;
          // While the provider works, its own count moves first; answers are stored once it ends.
          const done = Math.min(b.counts.total, Math.max(answered, b.atProvider.done));
          const provider = `${b.atProvider.done}/${b.atProvider.total} done at the provider`;
          if (options.json) process.stdout.write(`${JSON.stringify(b)}\n`);
          else if (bar) {
            if (!started) bar.start(b.counts.total, done, { status: b.status });
            started = true;
            bar.update(done, { status: `${b.status} (tier ${b.tier}, ${provider})` });
          } else
            process.stdout.write(
              `${b.status} tier ${b.tier}: ${answered}/${b.counts.total} answered, ${provider}\n`,
            );
          if (isFinalBatchStatus(b.status)) {
            sub.unsubscribe();
            resolve(b);
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
  return last;
}

/** `sluice batches create|list|show|submit|watch|cancel|delete|results|stats`. */
export function registerBatches(program: Command): void {
  const batches = program
    .command("batches")
    .description("provider Batch API runs of many chat requests at batch pricing (the key's tenant)");
  withRemoteOptions(
    batches
      .command("create")
      .description("create a batch from a JSONL file of { custom_id, body } lines")
      .requiredOption("--file <path>", "JSONL file, one request per line")
      .requiredOption("--model <model>", "a chat model or cascade:<name>")
      .option("--name <name>", "a name for people (default: the file's name)")
      .option("--description <text>", "what the batch is for")
      .option("--webhook <url>", "post the batch's final state here")
      .option("--submit", "submit it right away")
      .option("--watch", "submit it and follow it until it ends")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText(
      "after",
      "\nExample:\n  $ sluice batches create --file tickets.jsonl --model cascade:simulator --watch",
    )
    .action(
      async (
        o: RemoteOptions & {
          file: string;
          model: string;
          name?: string;
          description?: string;
          webhook?: string;
          submit?: boolean;
          watch?: boolean;
          json?: boolean;
        },
      ) => {
        if (!fs.existsSync(o.file)) throw new CliFailure("validation_error", `file ${o.file} does not exist`);
        const client = apiClient(o);
        const draft = await remote(o, () =>
          client.batches.create.mutate({
            name: o.name ?? o.file.split("/").at(-1)!,
            model: o.model,
            ...(o.description ? { description: o.description } : {}),
            ...(o.webhook ? { webhookUrl: o.webhook } : {}),
          }),
        );
        try {
          await uploadRequests(o, draft.id, o.file);
        } catch (error) {
          // A draft with none of the file in it is of no use: remove it.
          await client.batches.delete.mutate({ id: draft.id }).catch(() => {});
          throw error;
        }
        let batch: Batch =
          o.submit || o.watch
            ? await remote(o, () => client.batches.submit.mutate({ id: draft.id }))
            : await remote(o, () => client.batches.get.query({ id: draft.id }));
        if (o.watch) batch = await remote(o, () => watchBatch(client, draft.id, o));
        if (o.json) printJson(batch);
        else showBatch(batch);
        if (o.watch && batch.status !== "completed")
          throw new CliFailure(
            batch.status,
            `batch ${batch.id} ended ${batch.status}${batch.error ? `: ${batch.error}` : ""}`,
          );
      },
    );
  withRemoteOptions(
    batches
      .command("list")
      .description("list batches, newest first")
      .option("--status <status>", "only this status")
      .option("--limit <n>", "at most this many", positiveInt, 50)
      .option("--json", "print machine-readable output"),
  ).action(async (o: RemoteOptions & { status?: string; limit: number; json?: boolean }) => {
    const page = await remote(o, () =>
      apiClient(o).batches.list.query({
        limit: Math.min(o.limit, 200),
        ...(o.status ? { status: o.status as never } : {}),
      }),
    );
    if (o.json) return printJson(page);
    showBatches(page.items);
  });
  withRemoteOptions(
    batches
      .command("show <id>")
      .description("show a batch")
      .option("--json", "print machine-readable output"),
  ).action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
    const batch = await remote(o, () => apiClient(o).batches.get.query({ id }));
    if (o.json) return printJson(batch);
    showBatch(batch);
  });
  withRemoteOptions(
    batches
      .command("submit <id>")
      .description("submit a draft")
      .option("--json", "print machine-readable output"),
  ).action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
    const batch = await remote(o, () => apiClient(o).batches.submit.mutate({ id }));
    if (o.json) return printJson(batch);
    showBatches([batch]);
  });
  withRemoteOptions(
    batches
      .command("watch <id>")
      .description("follow a batch until it ends (exit 0 completed, 1 otherwise)")
      .option("--json", "print each change as a JSON line"),
  ).action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
    const batch = await remote(o, () => watchBatch(apiClient(o), id, o));
    if (!o.json) showBatch(batch);
    if (batch.status !== "completed")
      throw new CliFailure(
        batch.status,
        `batch ${id} ended ${batch.status}${batch.error ? `: ${batch.error}` : ""}`,
      );
  });
  withRemoteOptions(
    batches
      .command("cancel <id>")
      .description("cancel a submitted batch")
      .option("--json", "print machine-readable output"),
  ).action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
    const batch = await remote(o, () => apiClient(o).batches.cancel.mutate({ id }));
    if (o.json) return printJson(batch);
    showBatches([batch]);
  });
  withRemoteOptions(batches.command("delete <id>").description("delete a draft")).action(
    async (id: string, o: RemoteOptions) => {
      await remote(o, () => apiClient(o).batches.delete.mutate({ id }));
      process.stdout.write(`deleted ${id}\n`);
    },
  );
  withRemoteOptions(
    batches
      .command("results <id>")
      .description("download a batch's answers as JSONL (input order)")
      .option("--out <file>", "write to this file instead of standard output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice batches results 7a0c… --out results.jsonl")
    .action(async (id: string, o: RemoteOptions & { out?: string }) => {
      const res = await restCall(o, `/v1/sluice/batches/${id}/results`, { method: "GET" });
      const body = Readable.fromWeb(res.body as never);
      if (o.out) {
        await pipeline(body, fs.createWriteStream(o.out));
        process.stderr.write(`wrote ${o.out}\n`);
      } else await pipeline(body, process.stdout);
    });
  withRemoteOptions(
    batches
      .command("stats")
      .description("batches by status, tokens, cost and savings")
      .option("--json", "print machine-readable output"),
  ).action(async (o: RemoteOptions & { json?: boolean }) => {
    const s = await remote(o, () => apiClient(o).batches.stats.query());
    if (o.json) return printJson(s);
    printFields([
      ["batches", s.batches],
      ...Object.entries(s.byStatus).map(([status, n]) => [`  ${status}`, n] as [string, number]),
      ["requests", s.requests],
      ["succeeded", s.succeeded],
      ["errored", s.errored],
      ["tokens in / out", `${s.usage.inputTokens} / ${s.usage.outputTokens}`],
      ["cost $ (batch pricing)", formatMicros(s.costMicros)],
      ["synchronous $", formatMicros(s.syncCostMicros)],
      ["saved $", formatMicros(s.savingsMicros)],
    ]);
  });
}
