import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "./runCli.ts";
import { startUp, type UpProcess } from "./upProcess.ts";

const t = useTestDatabase();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-budgets-"));
let up: UpProcess;
const cli = (...args: string[]) => runCli(args, { SLUICE_HOME: home });

/** A command's JSON output; a failure shows what it printed instead. */
function json<T>(run: CliResult): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}${run.stderr}`);
  }
}

/** A small chat over HTTP with `key`: its status and error message. */
async function chat(key: string): Promise<{ status: number; message: string | undefined }> {
  const res = await fetch(`${up.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "sim-small", messages: [{ role: "user", content: "hi" }], max_tokens: 20 }),
  });
  const body = (await res.json()) as { error?: { message?: string } };
  return { status: res.status, message: body.error?.message };
}

beforeAll(async () => {
  up = await startUp(["--port", "0"], {
    DATABASE_URL: t.url,
    SLUICE_HOME: home,
    OPENAI_API_KEY: "",
    ANTHROPIC_API_KEY: "",
  });
});
afterAll(async () => {
  await up?.interrupt();
  fs.rmSync(home, { recursive: true, force: true });
});

type TenantJson = {
  id: string;
  dailyBudgetMicros: number | null;
  monthlyBudgetMicros: number | null;
  endUserDailyBudgetMicros: number | null;
  budgetAlertShare: number | null;
};

describe("budgets from the CLI", () => {
  it("sets a tenant's daily, monthly and end-user budgets and alert share, and the API enforces them", async () => {
    const created = json<TenantJson>(
      await cli(
        "tenants",
        "create",
        "cli-budgets",
        "--budget",
        "25",
        "--monthly-budget",
        "500",
        "--end-user-budget",
        "0.5",
        "--alert-at",
        "80%",
        "--json",
      ),
    );
    expect(created).toMatchObject({
      dailyBudgetMicros: 25_000_000,
      monthlyBudgetMicros: 500_000_000,
      endUserDailyBudgetMicros: 500_000,
      budgetAlertShare: 0.8,
    });
    const key = json<{ plaintext: string }>(await cli("keys", "create", "cli-budgets", "--json")).plaintext;
    expect(await chat(key)).toMatchObject({ status: 200 });

    const limited = json<TenantJson>(
      await cli("tenants", "limits", "cli-budgets", "--monthly-budget", "0", "--json"),
    );
    expect(limited).toMatchObject({ dailyBudgetMicros: 25_000_000, monthlyBudgetMicros: 0 });
    expect(await chat(key)).toMatchObject({
      status: 402,
      message: expect.stringContaining("tenant monthly budget"),
    });

    const shown = await cli(
      "tenants",
      "limits",
      "cli-budgets",
      "--monthly-budget",
      "none",
      "--alert-at",
      "0.9",
    );
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/monthly budget\s+unlimited/);
    expect(shown.stdout).toMatch(/end-user daily budget\s+\$0\.50$/m);
    expect(shown.stdout).toMatch(/alert at\s+90% of each budget/);
    expect(await chat(key)).toMatchObject({ status: 200 });

    const bad = await cli("tenants", "limits", "cli-budgets", "--alert-at", "1.5");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--alert-at.*must be a share above 0 and at most 1/);
  });

  it("creates a key with its own budget, which refuses its calls while the tenant's other keys spend", async () => {
    json<TenantJson>(await cli("tenants", "create", "cli-key-budgets", "--json"));
    const capped = json<{ key: { id: string; dailyBudgetMicros: number | null }; plaintext: string }>(
      await cli("keys", "create", "cli-key-budgets", "--name", "capped", "--budget", "0", "--json"),
    );
    expect(capped.key.dailyBudgetMicros).toBe(0);
    const free = json<{ plaintext: string }>(
      await cli("keys", "create", "cli-key-budgets", "--json"),
    ).plaintext;
    expect(await chat(capped.plaintext)).toMatchObject({
      status: 402,
      message: expect.stringContaining(`API key daily budget of key ${capped.key.id}`),
    });
    expect(await chat(free)).toMatchObject({ status: 200 });
  });
});
