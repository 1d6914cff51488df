import type { Command } from "commander";
import { printFields, printTable } from "../output/table.ts";
import { printJson } from "../output/terminal.ts";
import { apiClient, type RemoteOptions, remote, withRemoteOptions } from "../remote/apiClient.ts";
import { dollars, limitValue, UNLIMITED, usd } from "./options.ts";

interface LimitOptions extends RemoteOptions {
  rpm?: number | typeof UNLIMITED;
  tpm?: number | typeof UNLIMITED;
  budget?: number | typeof UNLIMITED;
  json?: boolean;
}

const limitOf = (value: number | typeof UNLIMITED) => (value === UNLIMITED ? null : value);

type TenantView = {
  id: string;
  name: string;
  rateLimitRpm: number | null;
  rateLimitTpm: number | null;
  dailyBudgetMicros: number | null;
  disabledAt: Date | null;
  createdAt: Date;
};

function showTenants(tenants: TenantView[]): void {
  printTable(
    ["id", "name", "req/min", "tokens/min", "daily budget", "status", "created"],
    tenants.map((t) => [
      t.id,
      t.name,
      t.rateLimitRpm ?? "unlimited",
      t.rateLimitTpm ?? "unlimited",
      usd(t.dailyBudgetMicros),
      t.disabledAt ? "disabled" : "active",
      t.createdAt.toISOString(),
    ]),
  );
}

const limits = (o: LimitOptions) => ({
  ...(o.rpm === undefined ? {} : { rateLimitRpm: limitOf(o.rpm) }),
  ...(o.tpm === undefined ? {} : { rateLimitTpm: limitOf(o.tpm) }),
  ...(o.budget === undefined ? {} : { dailyBudgetMicros: limitOf(o.budget) }),
});

function limitFlags(command: Command): Command {
  return command
    .option("--rpm <n>", "requests per minute (or none)", limitValue)
    .option("--tpm <n>", "tokens per minute (or none)", limitValue)
    .option("--budget <usd>", "daily budget in dollars (or none)", dollars);
}

/** `sluice tenants create|list|disable|limits` (admin key). */
export function registerTenants(program: Command): void {
  const tenants = program.command("tenants").description("manage tenants (admin)");
  limitFlags(
    withRemoteOptions(
      tenants
        .command("create <name>")
        .description("create a tenant")
        .option("--json", "print machine-readable output"),
    ),
  )
    .addHelpText("after", "\nExample:\n  $ sluice tenants create acme --rpm 600 --budget 25")
    .action(async (name: string, o: LimitOptions) => {
      const tenant = await remote(o, () => apiClient(o).tenants.create.mutate({ name, ...limits(o) }));
      if (o.json) return printJson(tenant);
      showTenants([tenant]);
    });
  withRemoteOptions(
    tenants
      .command("list")
      .description("list tenants")
      .option("--all", "include disabled tenants")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice tenants list --all")
    .action(async (o: RemoteOptions & { all?: boolean; json?: boolean }) => {
      const list = await remote(o, () =>
        apiClient(o).tenants.list.query({ includeDisabled: o.all ?? false }),
      );
      if (o.json) return printJson(list);
      showTenants(list);
    });
  withRemoteOptions(
    tenants
      .command("disable <id>")
      .description("disable a tenant (its keys stop working)")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice tenants disable 0b6f…")
    .action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
      const tenant = await remote(o, () => apiClient(o).tenants.disable.mutate({ id }));
      if (o.json) return printJson(tenant);
      showTenants([tenant]);
    });
  limitFlags(
    withRemoteOptions(
      tenants
        .command("limits <id>")
        .description("show or change a tenant's limits")
        .option("--json", "print machine-readable output"),
    ),
  )
    .addHelpText("after", "\nExamples:\n  $ sluice tenants limits 0b6f… --rpm 1200 --budget none")
    .action(async (id: string, o: LimitOptions) => {
      const client = apiClient(o);
      const changes = limits(o);
      const tenant =
        Object.keys(changes).length > 0
          ? await remote(o, () => client.tenants.setLimits.mutate({ id, ...changes }))
          : (await remote(o, () => client.tenants.list.query({ includeDisabled: true }))).find(
              (t) => t.id === id,
            );
      if (!tenant) {
        const { CliFailure } = await import("../output/failure.ts");
        throw new CliFailure("not_found", `tenant ${id} not found`);
      }
      if (o.json) return printJson(tenant);
      printFields([
        ["tenant", `${tenant.name} (${tenant.id})`],
        ["requests/min", tenant.rateLimitRpm ?? "unlimited"],
        ["tokens/min", tenant.rateLimitTpm ?? "unlimited"],
        ["daily budget", usd(tenant.dailyBudgetMicros)],
      ]);
    });
}
