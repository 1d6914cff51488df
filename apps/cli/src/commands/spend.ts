import { type Command, InvalidArgumentError } from "commander";
import { printTable } from "../output/table.ts";
import { printJson } from "../output/terminal.ts";
import { apiClient, type RemoteOptions, remote, withRemoteOptions } from "../remote/apiClient.ts";
import { usd } from "./options.ts";
import { resolveTenant, TENANT_ARG } from "./resolve.ts";

const DIMENSIONS = ["tenant", "key", "user", "model", "day"] as const;
type Dimension = (typeof DIMENSIONS)[number];

function dimensions(value: string): Dimension[] {
  const by = value
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d !== "");
  const unknown = by.filter((d) => !(DIMENSIONS as readonly string[]).includes(d));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`must be a comma-separated list of ${DIMENSIONS.join(", ")}`);
  return by as Dimension[];
}

function date(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new InvalidArgumentError("must be a UTC date like 2026-12-01");
  return value;
}

/** `sluice spend [--by key,model] [--from] [--to] [--json]`: spend by tenant, key, end user, model and day. */
export function registerSpend(program: Command): void {
  withRemoteOptions(
    program
      .command("spend")
      .description("spend by tenant, key, end user, model and day, with batch spend and cache savings")
      .option("--by <dimensions>", `group by any of ${DIMENSIONS.join(",")}`, dimensions, [])
      .option("--from <date>", "first UTC day (default: 29 days before --to)", date)
      .option("--to <date>", "last UTC day (default: today)", date)
      .option("--tenant <tenant>", `admin keys: only this tenant (${TENANT_ARG})`)
      .option("--json", "print machine-readable output"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  $ sluice spend --by key,model\n  $ sluice spend --by user,day --from 2026-12-01 --json",
    )
    .action(
      async (
        o: RemoteOptions & { by: Dimension[]; from?: string; to?: string; tenant?: string; json?: boolean },
      ) => {
        const tenantId = o.tenant === undefined ? undefined : (await resolveTenant(o, o.tenant)).id;
        const report = await remote(o, () =>
          apiClient(o).stats.spend.query({
            by: o.by,
            ...(o.from ? { from: o.from } : {}),
            ...(o.to ? { to: o.to } : {}),
            ...(tenantId ? { tenantId } : {}),
          }),
        );
        if (o.json) return printJson(report);
        const t = report.total;
        process.stdout.write(
          `${report.from} to ${report.to}: ${t.calls} calls, spent ${usd(t.costMicros)} (batches ${usd(t.batchCostMicros)}), ` +
            `cache saved ${usd(t.cacheSavedMicros)} over ${t.cacheHits} hits\n\n`,
        );
        const columns: [Dimension, string, (g: (typeof report.groups)[number]) => string][] = [
          ["day", "day", (g) => g.day ?? ""],
          ["tenant", "tenant", (g) => g.tenantId ?? "-"],
          [
            "key",
            "key",
            (g) => (g.apiKeyId ? `${g.keyPrefix ?? g.apiKeyId}${g.keyName ? ` (${g.keyName})` : ""}` : "-"),
          ],
          ["user", "end user", (g) => g.endUser ?? "-"],
          ["model", "model", (g) => g.model ?? ""],
        ];
        const shown = columns.filter(([d]) => report.by.includes(d));
        printTable(
          [...shown.map(([, title]) => title), "calls", "cost", "batch cost", "cache saved"],
          report.groups.map((g) => [
            ...shown.map(([, , value]) => value(g)),
            g.calls,
            usd(g.costMicros),
            usd(g.batchCostMicros),
            usd(g.cacheSavedMicros),
          ]),
        );
      },
    );
}
