import type { Command } from "commander";
import { readTicketFile } from "../datasets/ticketFile.ts";
import { printFields, printTable } from "../output/table.ts";
import { printJson } from "../output/terminal.ts";
import { apiClient, type RemoteOptions, remote, withRemoteOptions } from "../remote/apiClient.ts";
import { showJobs } from "./jobs.ts";
import { watchJob } from "./jobWatch.ts";
import { positiveInt, usd } from "./options.ts";

const IMPORT_CHUNK = 1000;

/** `sluice tickets import|list|classify|classify-pending|stats` (tenant key). */
export function registerTickets(program: Command): void {
  const tickets = program.command("tickets").description("support tickets of the key's tenant");
  withRemoteOptions(
    tickets
      .command("import <file>")
      .description("create tickets from a CSV (subject, body, customer_email) or JSONL file")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice tickets import tickets.csv")
    .action(async (file: string, o: RemoteOptions & { json?: boolean }) => {
      const records = readTicketFile(file);
      const client = apiClient(o);
      const ids: string[] = [];
      for (let i = 0; i < records.length; i += IMPORT_CHUNK) {
        const created = await remote(o, () =>
          client.tickets.create.mutate({ tickets: records.slice(i, i + IMPORT_CHUNK) }),
        );
        ids.push(...created.map((t) => t.id));
      }
      if (o.json) return printJson({ imported: ids.length, ids });
      process.stdout.write(`${ids.length} tickets imported\n`);
    });
  withRemoteOptions(
    tickets
      .command("list")
      .description("list tickets, oldest first")
      .option("--pending", "only unclassified ones")
      .option("--classified", "only classified ones")
      .option("--urgency <urgency>", "critical, high, medium or low")
      .option("--category <category>", "billing, technical, account, feature_request, bug_report or other")
      .option("--limit <n>", "at most this many", positiveInt, 50)
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice tickets list --urgency critical")
    .action(
      async (
        o: RemoteOptions & {
          pending?: boolean;
          classified?: boolean;
          urgency?: string;
          category?: string;
          limit: number;
          json?: boolean;
        },
      ) => {
        const page = await remote(o, () =>
          apiClient(o).tickets.list.query({
            limit: Math.min(o.limit, 100),
            ...(o.pending ? { classified: false } : o.classified ? { classified: true } : {}),
            ...(o.urgency ? { urgency: o.urgency } : {}),
            ...(o.category ? { category: o.category } : {}),
          }),
        );
        if (o.json) return printJson(page);
        printTable(
          ["id", "subject", "urgency", "category", "confidence", "model"],
          page.items.map((t) => [
            t.id,
            t.subject.slice(0, 48),
            t.urgency,
            t.category,
            t.confidence?.toFixed(2),
            t.modelUsed,
          ]),
        );
      },
    );
  withRemoteOptions(
    tickets
      .command("classify <id>")
      .description("classify one ticket now")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice tickets classify 3f2e…")
    .action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
      const result = await remote(o, () => apiClient(o).tickets.classify.mutate({ id }));
      if (o.json) return printJson(result);
      printFields([
        ["urgency", result.urgency],
        ["category", result.category],
        ["confidence", result.confidence.toFixed(2)],
        ["suggested", result.suggestedResponse],
        ["model", result.modelUsed],
        ["cost", usd(result.costMicros)],
      ]);
    });
  withRemoteOptions(
    tickets
      .command("classify-pending")
      .description("queue a job classifying every pending ticket")
      .option("--limit <n>", "at most this many tickets", positiveInt, 1000)
      .option("--watch", "follow the job until it ends")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice tickets classify-pending --watch")
    .action(async (o: RemoteOptions & { limit: number; watch?: boolean; json?: boolean }) => {
      const client = apiClient(o);
      const job = await remote(o, () =>
        client.tickets.classifyPending.mutate({ limit: Math.min(o.limit, 1000) }),
      );
      if (o.json && !o.watch) return printJson(job);
      if (!o.json) showJobs([job]);
      if (o.watch) await remote(o, () => watchJob(client, job.id, o));
    });
  withRemoteOptions(
    tickets
      .command("stats")
      .description("counts by urgency and category, and spend")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice tickets stats")
    .action(async (o: RemoteOptions & { json?: boolean }) => {
      const stats = await remote(o, () => apiClient(o).tickets.stats.query());
      if (o.json) return printJson(stats);
      printFields(Object.entries(stats));
    });
}

/** `sluice classify "<text>"`: a one-off classification, nothing stored. */
export function registerClassify(program: Command): void {
  withRemoteOptions(
    program
      .command("classify <text>")
      .description("classify a text once (nothing is stored): urgency, category, model used, cost")
      .option("--subject <subject>", "the ticket's subject (default: the text's first words)")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", '\nExample:\n  $ sluice classify "I was charged twice this month, please refund"')
    .action(async (text: string, o: RemoteOptions & { subject?: string; json?: boolean }) => {
      const subject = o.subject ?? text.split(/\s+/).slice(0, 8).join(" ").slice(0, 255);
      const result = await remote(o, () => apiClient(o).tickets.classifyText.mutate({ subject, body: text }));
      if (o.json) return printJson(result);
      printFields([
        ["urgency", result.urgency],
        ["category", result.category],
        ["confidence", result.confidence.toFixed(2)],
        ["suggested", result.suggested_response],
        ["model", result.modelUsed],
        ["cascaded", result.cascaded],
        ["cost", usd(result.costMicros)],
      ]);
    });
}
