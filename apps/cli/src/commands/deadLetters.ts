import type { Command } from "commander";
import { printTable } from "../output/table.ts";
import { printJson } from "../output/terminal.ts";
import { apiClient, type RemoteOptions, remote, withRemoteOptions } from "../remote/apiClient.ts";
import { showJob, showJobs } from "./jobs.ts";
import { dateValue, positiveInt } from "./options.ts";

/** `sluice dead-letters list|show|requeue|purge` (admin key). */
export function registerDeadLetters(program: Command): void {
  const dead = program.command("dead-letters").description("jobs that died, across tenants (admin)");
  withRemoteOptions(
    dead
      .command("list")
      .description("list dead jobs, most recent first")
      .option("--kind <kind>", "only this kind")
      .option("--error-code <code>", "only this error code")
      .option("--since <time>", "died at or after", dateValue)
      .option("--limit <n>", "at most this many", positiveInt, 50)
      .option("--json", "print machine-readable output"),
  )
    .addHelpText(
      "after",
      "\nExample:\n  $ sluice dead-letters list --kind tickets.classify --since 2026-12-01",
    )
    .action(
      async (
        o: RemoteOptions & { kind?: string; errorCode?: string; since?: Date; limit: number; json?: boolean },
      ) => {
        const page = await remote(o, () =>
          apiClient(o).deadLetters.list.query({
            limit: Math.min(o.limit, 200),
            ...(o.kind ? { kind: o.kind } : {}),
            ...(o.errorCode ? { errorCode: o.errorCode } : {}),
            ...(o.since ? { since: o.since } : {}),
          }),
        );
        if (o.json) return printJson(page);
        showJobs(page.items);
      },
    );
  withRemoteOptions(
    dead
      .command("show <id>")
      .description("show a dead job")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice dead-letters show 7a0c…")
    .action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
      const job = await remote(o, () => apiClient(o).deadLetters.get.query({ id }));
      if (o.json) return printJson(job);
      showJob(job);
    });
  withRemoteOptions(
    dead
      .command("requeue [ids...]")
      .description("run dead jobs again as new jobs (the given ones, or --all matching --kind)")
      .option("--all", "every dead job (of --kind, when given)")
      .option("--kind <kind>", "with --all: only this kind")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  $ sluice dead-letters requeue 7a0c… 91be…\n  $ sluice dead-letters requeue --all --kind webhook.deliver",
    )
    .action(
      async (
        ids: string[],
        o: RemoteOptions & { all?: boolean; kind?: string; json?: boolean },
        command: Command,
      ) => {
        if ((ids.length === 0) === !o.all)
          command.error("error: give job ids, or --all (not both)", { exitCode: 2 });
        const outcome = await remote(o, () =>
          apiClient(o).deadLetters.requeue.mutate(
            ids.length > 0 ? { ids } : { all: true, ...(o.kind ? { kind: o.kind } : {}) },
          ),
        );
        if (o.json) return printJson(outcome);
        printTable(
          ["dead job", "new job", "kind", "status"],
          outcome.requeued.map((r) => [r.from, r.job.id, r.job.kind, r.job.status]),
        );
        process.stdout.write(`${outcome.requeued.length} requeued\n`);
      },
    );
  withRemoteOptions(
    dead
      .command("purge")
      .description("delete dead jobs that died before a date")
      .requiredOption("--before <time>", "died before this", dateValue)
      .option("--kind <kind>", "only this kind")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice dead-letters purge --before 2026-11-01")
    .action(async (o: RemoteOptions & { before: Date; kind?: string; json?: boolean }) => {
      const outcome = await remote(o, () =>
        apiClient(o).deadLetters.purge.mutate({ before: o.before, ...(o.kind ? { kind: o.kind } : {}) }),
      );
      if (o.json) return printJson(outcome);
      process.stdout.write(`${outcome.purged} purged\n`);
    });
}
