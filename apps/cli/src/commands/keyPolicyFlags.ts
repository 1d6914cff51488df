import { type Command, InvalidArgumentError } from "commander";
import { printTable } from "../output/table.ts";
import { paint, printJson } from "../output/terminal.ts";
import { apiClient, type RemoteOptions, remote, withRemoteOptions } from "../remote/apiClient.ts";
import { limitValue, UNLIMITED } from "./options.ts";
import { KEY_ARG, resolveKey, TENANT_ARG } from "./resolve.ts";

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** A duration such as `90s`, `15m`, `1h`, `30d` or `2w`, in seconds. */
export function durationSeconds(value: string): number {
  const match = /^(\d+)([smhdw])$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError("must be a duration like 90s, 15m, 1h, 30d or 2w");
  return Number(match[1]) * (UNITS[match[2] as string] ?? 1);
}

/** A comma-separated list of model patterns (`gpt-4o*,support-*`), or `none` for every model. */
function modelPatterns(value: string): string[] | typeof UNLIMITED {
  if (value === UNLIMITED) return UNLIMITED;
  const patterns = value
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (patterns.length === 0)
    throw new InvalidArgumentError("must list at least one model pattern, or be none");
  return patterns;
}

/** A JSON object. */
function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be a JSON object, like \'{"team":"support"}\'');
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new InvalidArgumentError('must be a JSON object, like \'{"team":"support"}\'');
  return parsed as Record<string, unknown>;
}

/** A key's policy flags, as Commander parses them. */
export interface KeyPolicyOptions {
  rpm?: number | typeof UNLIMITED;
  tpm?: number | typeof UNLIMITED;
  models?: string[] | typeof UNLIMITED;
  expiresIn?: number | typeof UNLIMITED;
  metadata?: Record<string, unknown>;
}

/** Adds `--rpm`, `--tpm`, `--models`, `--expires-in` and `--metadata` to a key command. */
export function keyPolicyFlags(command: Command): Command {
  return command
    .option("--rpm <n>", "the key's own requests per minute (or none), on top of its tenant's", limitValue)
    .option("--tpm <n>", "the key's own tokens per minute (or none)", limitValue)
    .option(
      "--models <patterns>",
      "models and cascades it may call, like 'gpt-4o*,support-*' (or none: all)",
      modelPatterns,
    )
    .option("--expires-in <duration>", "refuse the key after this long, like 30d (or none)", (v: string) =>
      v === UNLIMITED ? UNLIMITED : durationSeconds(v),
    )
    .option("--metadata <json>", "a JSON object kept with the key (at most 4 KB)", jsonObject);
}

/** The policy the flags set, as the admin API takes it (absent flags: unchanged). */
export function keyPolicy(o: KeyPolicyOptions, now = Date.now()) {
  const orNull = <T>(v: T | typeof UNLIMITED) => (v === UNLIMITED ? null : v);
  return {
    ...(o.rpm === undefined ? {} : { rateLimitRpm: orNull(o.rpm) }),
    ...(o.tpm === undefined ? {} : { rateLimitTpm: orNull(o.tpm) }),
    ...(o.models === undefined ? {} : { allowedModels: orNull(o.models) }),
    ...(o.expiresIn === undefined
      ? {}
      : { expiresAt: o.expiresIn === UNLIMITED ? null : new Date(now + o.expiresIn * 1000) }),
    ...(o.metadata === undefined ? {} : { metadata: o.metadata }),
  };
}

type PolicyView = {
  id: string;
  keyPrefix: string;
  name: string;
  rateLimitRpm: number | null;
  rateLimitTpm: number | null;
  allowedModels: string[] | null;
  expiresAt: Date | null;
  previousValidUntil: Date | null;
};

function showPolicy(key: PolicyView): void {
  printTable(
    ["id", "prefix", "name", "rpm", "tpm", "models", "expires", "old secret valid until"],
    [
      [
        key.id,
        key.keyPrefix,
        key.name,
        key.rateLimitRpm ?? "-",
        key.rateLimitTpm ?? "-",
        key.allowedModels?.join(",") ?? "all",
        key.expiresAt?.toISOString() ?? "never",
        key.previousValidUntil?.toISOString() ?? "-",
      ],
    ],
  );
}

/** `sluice keys update` and `sluice keys rotate`, added to the `keys` command. */
export function registerKeyPolicyCommands(keys: Command): void {
  keyPolicyFlags(
    withRemoteOptions(
      keys
        .command("update")
        .description("change a key's limits, models, expiry, metadata or name (seen everywhere within 5 s)")
        .argument("<key>", KEY_ARG)
        .option("--tenant <tenant>", `only this tenant's keys (${TENANT_ARG})`)
        .option("--name <name>", "a label for people")
        .option("--json", "print machine-readable output"),
    ),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  $ sluice keys update ci --tenant acme --rpm 60 --models 'gpt-4o*,support-*'\n  $ sluice keys update slk_3fQa9xTb --expires-in 30d --metadata '{\"team\":\"support\"}'",
    )
    .action(
      async (
        ref: string,
        o: RemoteOptions & KeyPolicyOptions & { tenant?: string; name?: string; json?: boolean },
      ) => {
        const { id } = await resolveKey(o, ref, o.tenant);
        const key = await remote(o, () =>
          apiClient(o).apiKeys.update.mutate({
            id,
            ...(o.name === undefined ? {} : { name: o.name }),
            ...keyPolicy(o),
          }),
        );
        if (o.json) return printJson(key);
        showPolicy(key);
      },
    );
  withRemoteOptions(
    keys
      .command("rotate")
      .description("give a key a new secret; the old one keeps working for the grace period, then is refused")
      .argument("<key>", KEY_ARG)
      .option("--tenant <tenant>", `only this tenant's keys (${TENANT_ARG})`)
      .option(
        "--grace <duration>",
        "how long the old secret keeps working, like 0s, 15m or 1h",
        durationSeconds,
        3_600,
      )
      .option("--json", "print machine-readable output"),
  )
    .addHelpText("after", "\nExample:\n  $ sluice keys rotate ci --tenant acme --grace 1h")
    .action(async (ref: string, o: RemoteOptions & { tenant?: string; grace: number; json?: boolean }) => {
      const { id } = await resolveKey(o, ref, o.tenant);
      const rotated = await remote(o, () =>
        apiClient(o).apiKeys.rotate.mutate({ id, graceSeconds: o.grace }),
      );
      if (o.json) return printJson(rotated);
      showPolicy(rotated.key);
      process.stdout.write(
        `\n${paint("bold", "key")}  ${rotated.plaintext}\n${paint("yellow", "Store it now: it is not shown again.")}\n`,
      );
    });
}
