import type { Command } from "commander";
import { printTable } from "../output/table.ts";
import { printJson } from "../output/terminal.ts";
import { apiClient, type RemoteOptions, remote, withRemoteOptions } from "../remote/apiClient.ts";
import { positiveInt, usd } from "./options.ts";

/** `sluice stats [--days N]`: usage, cost, savings and cache hit rate by model and day. */
export function registerStats(program: Command): void {
  withRemoteOptions(
    program
      .command("stats")
      .description("usage, cost, savings and cache hit rate by model and day")
      .option("--days <n>", "how many days back", positiveInt, 30)
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice stats --days 7")
    .action(async (o: RemoteOptions & { days: number; json?: boolean }) => {
      const stats = await remote(o, () => apiClient(o).stats.usage.query({ days: Math.min(o.days, 366) }));
      if (o.json) return printJson(stats);
      const t = stats.totals;
      process.stdout.write(
        `since ${stats.since}: ${t.calls} calls, cost ${usd(t.costMicros)}, saved ${usd(t.savedMicros)} by cascades, ` +
          `cache hits ${(t.cacheHitRate * 100).toFixed(1)}%, drafts accepted ${(t.draftAcceptanceRate * 100).toFixed(1)}%\n\n`,
      );
      printTable(
        ["day", "model", "calls", "errors", "tokens in", "tokens out", "cost", "cache hits"],
        stats.byDay.map((r) => [
          r.day,
          r.model,
          r.calls,
          r.errors,
          r.inputTokens,
          r.outputTokens,
          usd(r.costMicros),
          r.calls === 0 ? "" : `${((r.cacheHits / r.calls) * 100).toFixed(1)}%`,
        ]),
      );
    });
}
