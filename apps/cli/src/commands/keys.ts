import type { Command } from "commander";
import { printTable } from "../output/table.ts";
import { paint, printJson } from "../output/terminal.ts";
import { apiClient, type RemoteOptions, remote, withRemoteOptions } from "../remote/apiClient.ts";

type KeyView = {
  id: string;
  tenantId: string;
  role: string;
  keyPrefix: string;
  name: string;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
};

function showKeys(keys: KeyView[]): void {
  printTable(
    ["id", "prefix", "role", "name", "last used", "status"],
    keys.map((k) => [
      k.id,
      k.keyPrefix,
      k.role,
      k.name,
      k.lastUsedAt?.toISOString() ?? "never",
      k.revokedAt ? "revoked" : "active",
    ]),
  );
}

/** `sluice keys create|list|revoke` (admin key). */
export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("manage API keys (admin)");
  withRemoteOptions(
    keys
      .command("create <tenantId>")
      .description("create a key for a tenant; its plaintext is shown this once")
      .option("--role <role>", "tenant or admin", "tenant")
      .option("--name <name>", "a label for people")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice keys create 0b6f… --name ci")
    .action(async (tenantId: string, o: RemoteOptions & { role: string; name?: string; json?: boolean }) => {
      if (o.role !== "tenant" && o.role !== "admin") {
        keys.error("error: --role must be tenant or admin", { exitCode: 2 });
      }
      const created = await remote(o, () =>
        apiClient(o).apiKeys.create.mutate({
          tenantId,
          role: o.role as "tenant" | "admin",
          ...(o.name ? { name: o.name } : {}),
        }),
      );
      if (o.json) return printJson(created);
      showKeys([created.key]);
      process.stdout.write(
        `\n${paint("bold", "key")}  ${created.plaintext}\n${paint("yellow", "Store it now: it is not shown again.")}\n`,
      );
    });
  withRemoteOptions(
    keys
      .command("list <tenantId>")
      .description("list a tenant's keys")
      .option("--all", "include revoked keys")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice keys list 0b6f… --all")
    .action(async (tenantId: string, o: RemoteOptions & { all?: boolean; json?: boolean }) => {
      const list = await remote(o, () =>
        apiClient(o).apiKeys.list.query({ tenantId, includeRevoked: o.all ?? false }),
      );
      if (o.json) return printJson(list);
      showKeys(list);
    });
  withRemoteOptions(
    keys
      .command("revoke <keyId>")
      .description("revoke a key at once")
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice keys revoke 5d1c…")
    .action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
      const key = await remote(o, () => apiClient(o).apiKeys.revoke.mutate({ id }));
      if (o.json) return printJson(key);
      showKeys([key]);
    });
}
