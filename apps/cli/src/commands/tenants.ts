import type { Command } from "commander";
import { printFields, printTable } from "../output/table.ts";
import { printJson } from "../output/terminal.ts";
import { apiClient, type RemoteOptions, remote, withRemoteOptions } from "../remote/apiClient.ts";
import { dollars, limitValue, shareValue, UNLIMITED, usd } from "./options.ts";
import { resolveTenant, TENANT_ARG } from "./resolve.ts";

interface LimitOptions extends RemoteOptions {
  rpm?: number | typeof UNLIMITED;
  tpm?: number | typeof UNLIMITED;
  budget?: number | typeof UNLIMITED;
  monthlyBudget?: number | typeof UNLIMITED;
  endUserBudget?: number | typeof UNLIMITED;
  alertAt?: number | typeof UNLIMITED;
  json?: boolean;
}

const limitOf = (value: number | typeof UNLIMITED) => (value === UNLIMITED ? null : value);

type TenantView = {
  id: string;
  name: string;
  rateLimitRpm: number | null;
  rateLimitTpm: number | null;
  dailyBudgetMicros: number | null;
  monthlyBudgetMicros: number | null;
  endUserDailyBudgetMicros: number | null;
  budgetAlertShare: number | null;
  disabledAt: Date | null;
  createdAt: Date;
};

function showTenants(tenants: TenantView[]): void {
  printTable(
    ["id", "name", "req/min", "tokens/min", "daily budget", "monthly budget", "status", "created"],
    tenants.map((t) => [
      t.id,
      t.name,
      t.rateLimitRpm ?? "unlimited",
      t.rateLimitTpm ?? "unlimited",
      usd(t.dailyBudgetMicros),
      usd(t.monthlyBudgetMicros),
      t.disabledAt ? "disabled" : "active",
      t.createdAt.toISOString(),
    ]),
  );
}

const limits = (o: LimitOptions) => ({
  ...(o.rpm === undefined ? {} : { rateLimitRpm: limitOf(o.rpm) }),
  ...(o.tpm === undefined ? {} : { rateLimitTpm: limitOf(o.tpm) }),
  ...(o.budget === undefined ? {} : { dailyBudgetMicros: limitOf(o.budget) }),
  ...(o.monthlyBudget === undefined ? {} : { monthlyBudgetMicros: limitOf(o.monthlyBudget) }),
  ...(o.endUserBudget === undefined ? {} : { endUserDailyBudgetMicros: limitOf(o.endUserBudget) }),
  ...(o.alertAt === undefined ? {} : { budgetAlertShare: limitOf(o.alertAt) }),
});

function limitFlags(command: Command): Command {
  return command
    .option("--rpm <n>", "requests per minute (or none)", limitValue)
    .option("--tpm <n>", "tokens per minute (or none)", limitValue)
    .option("--budget <usd>", "daily budget in dollars (or none)", dollars)
    .option(
      "--monthly-budget <usd>",
      "monthly budget in dollars (or none); the tighter of the two refuses",
      dollars,
    )
    .option("--end-user-budget <usd>", "daily budget of each end user, in dollars (or none)", dollars)
    .option(
      "--alert-at <share>",
      "soft alert when a budget is this share spent, once per period (0.8, 80% or none)",
      shareValue,
    );
}

/** `sluice tenants create|list|show|disable|enable|limits` (admin key); a tenant is its id or name. */
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
  for (const [verb, description] of [
    ["disable", "disable a tenant (its keys stop working)"],
    ["enable", "enable a disabled tenant again"],
  ] as const) {
    withRemoteOptions(
      tenants
        .command(verb)
        .description(description)
        .argument("<tenant>", TENANT_ARG)
        .option("--json", "print machine-readable output"),
    )
      .addHelpText("after", `\nExamples:\n  $ sluice tenants ${verb} acme\n  $ sluice tenants ${verb} 0b6f…`)
      .action(async (ref: string, o: RemoteOptions & { json?: boolean }) => {
        const { id } = await resolveTenant(o, ref);
        const tenant = await remote(o, () => apiClient(o).tenants[verb].mutate({ id }));
        if (o.json) return printJson(tenant);
        showTenants([tenant]);
      });
  }
  withRemoteOptions(
    tenants
      .command("show")
      .description("show one tenant")
      .argument("<tenant>", TENANT_ARG)
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice tenants show acme")
    .action(async (ref: string, o: RemoteOptions & { json?: boolean }) => {
      const tenant = await resolveTenant(o, ref);
      if (o.json) return printJson(tenant);
      showTenants([tenant]);
    });
  limitFlags(
    withRemoteOptions(
      tenants
        .command("limits")
        .description("show or change a tenant's limits")
        .argument("<tenant>", TENANT_ARG)
        .option("--json", "print machine-readable output"),
    ),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  $ sluice tenants limits acme --budget 0\n  $ sluice tenants limits 0b6f… --rpm 1200 --budget none\n  $ sluice tenants limits acme --budget 25 --monthly-budget 500 --alert-at 0.8\n  $ sluice tenants limits acme --end-user-budget 0.50",
    )
    .action(async (ref: string, o: LimitOptions) => {
      const found = await resolveTenant(o, ref);
      const changes = limits(o);
      const tenant =
        Object.keys(changes).length > 0
          ? await remote(o, () => apiClient(o).tenants.setLimits.mutate({ id: found.id, ...changes }))
          : found;
      if (o.json) return printJson(tenant);
      printFields([
        ["tenant", `${tenant.name} (${tenant.id})`],
        ["requests/min", tenant.rateLimitRpm ?? "unlimited"],
        ["tokens/min", tenant.rateLimitTpm ?? "unlimited"],
        ["daily budget", usd(tenant.dailyBudgetMicros)],
        ["monthly budget", usd(tenant.monthlyBudgetMicros)],
        ["end-user daily budget", usd(tenant.endUserDailyBudgetMicros)],
        [
          "alert at",
          tenant.budgetAlertShare === null
            ? "none"
            : `${Math.round(tenant.budgetAlertShare * 100)}% of each budget`,
        ],
      ]);
    });
}
