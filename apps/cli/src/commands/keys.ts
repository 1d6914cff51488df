import type { Command } from "commander";
import { printTable } from "../output/table.ts";
import { paint, printJson } from "../output/terminal.ts";
import { apiClient, type RemoteOptions, remote, withRemoteOptions } from "../remote/apiClient.ts";
import { type KeyBudgetOptions, keyBudgetFlags, keyBudgets } from "./budgetFlags.ts";
import { type KeyPolicyOptions, keyPolicy, keyPolicyFlags } from "./keyPolicyFlags.ts";
import { KEY_ARG, resolveKey, resolveTenant, TENANT_ARG } from "./resolve.ts";

type KeyView = {
  id: string;
  tenantId: string;
  role: string;
  keyPrefix: string;
  name: string;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  rateLimitRpm: number | null;
  rateLimitTpm: number | null;
  allowedModels: string[] | null;
  expiresAt: Date | null;
};

/** A key's own limits in one cell: `60 rpm, 100000 tpm`, or `-`. */
function limitsOf(k: KeyView): string {
  const parts = [
    ...(k.rateLimitRpm === null ? [] : [`${k.rateLimitRpm} rpm`]),
    ...(k.rateLimitTpm === null ? [] : [`${k.rateLimitTpm} tpm`]),
  ];
  return parts.length > 0 ? parts.join(", ") : "-";
}

function statusOf(k: KeyView, now = Date.now()): string {
  if (k.revokedAt) return "revoked";
  return k.expiresAt && k.expiresAt.getTime() <= now ? "expired" : "active";
}

function showKeys(keys: KeyView[]): void {
  printTable(
    ["id", "prefix", "role", "name", "limits", "models", "expires", "last used", "status"],
    keys.map((k) => [
      k.id,
      k.keyPrefix,
      k.role,
      k.name,
      limitsOf(k),
      k.allowedModels?.join(",") ?? "all",
      k.expiresAt?.toISOString() ?? "never",
      k.lastUsedAt?.toISOString() ?? "never",
      statusOf(k),
    ]),
  );
}

/** `sluice keys create|list|revoke` (admin key); a tenant is its id or name, a key its id, prefix or name. */
export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("manage API keys (admin)");
  keyPolicyFlags(
    keyBudgetFlags(
      withRemoteOptions(
        keys
          .command("create")
          .description("create a key for a tenant; its plaintext is shown this once")
          .argument("<tenant>", TENANT_ARG)
          .option("--role <role>", "tenant or admin", "tenant")
          .option("--name <name>", "a label for people")
          .option("--json", "print machine-readable output"),
      ),
    ),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  $ sluice keys create acme --name ci --rpm 60 --models 'gpt-4o*,support-*' --expires-in 30d\n  $ sluice keys create acme --name batch --budget 5 --monthly-budget 100\n  $ sluice keys create 0b6f…",
    )
    .action(
      async (
        ref: string,
        o: RemoteOptions &
          KeyBudgetOptions &
          KeyPolicyOptions & { role: string; name?: string; json?: boolean },
      ) => {
        if (o.role !== "tenant" && o.role !== "admin") {
          keys.error("error: --role must be tenant or admin", { exitCode: 2 });
        }
        const tenant = await resolveTenant(o, ref);
        const created = await remote(o, () =>
          apiClient(o).apiKeys.create.mutate({
            tenantId: tenant.id,
            role: o.role as "tenant" | "admin",
            ...(o.name ? { name: o.name } : {}),
            ...keyBudgets(o),
            ...keyPolicy(o),
          }),
        );
        if (o.json) return printJson(created);
        showKeys([created.key]);
        process.stdout.write(
          `\n${paint("bold", "key")}  ${created.plaintext}\n${paint("yellow", "Store it now: it is not shown again.")}\n`,
        );
      },
    );
  withRemoteOptions(
    keys
      .command("list")
      .description("list a tenant's keys")
      .argument("<tenant>", TENANT_ARG)
      .option("--all", "include revoked keys")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice keys list acme --all")
    .action(async (ref: string, o: RemoteOptions & { all?: boolean; json?: boolean }) => {
      const tenant = await resolveTenant(o, ref);
      const list = await remote(o, () =>
        apiClient(o).apiKeys.list.query({ tenantId: tenant.id, includeRevoked: o.all ?? false }),
      );
      if (o.json) return printJson(list);
      showKeys(list);
    });
  withRemoteOptions(
    keys
      .command("revoke")
      .description("revoke a key at once")
      .argument("<key>", KEY_ARG)
      .option("--tenant <tenant>", `only this tenant's keys (${TENANT_ARG})`)
      .option("--json", "print machine-readable output"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  $ sluice keys revoke slk_3fQa9xTb\n  $ sluice keys revoke ci --tenant acme\n  $ sluice keys revoke 5d1c…",
    )
    .action(async (ref: string, o: RemoteOptions & { tenant?: string; json?: boolean }) => {
      const { id } = await resolveKey(o, ref, o.tenant);
      const key = await remote(o, () => apiClient(o).apiKeys.revoke.mutate({ id }));
      if (o.json) return printJson(key);
      showKeys([key]);
    });
}
