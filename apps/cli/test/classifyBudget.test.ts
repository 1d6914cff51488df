import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql, useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "./runCli.ts";
import { startUp, type UpProcess } from "./upProcess.ts";

// `sluice classify` goes through the spend gate like every paid call: a tenant with a $0 budget is
// refused with a clear message and charged nothing.
const t = useTestDatabase();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-classify-budget-"));
let up: UpProcess;
const cli = (...args: string[]) => runCli(args, { SLUICE_HOME: home });

function json<T>(run: CliResult): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}${run.stderr}`);
  }
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

describe("sluice classify under the tenant's budget", () => {
  it("refuses on a $0 budget with a clear message and spends nothing; classifies once the budget allows", async () => {
    const tenant = json<{ id: string }>(
      await cli("tenants", "create", "cli-broke", "--budget", "0", "--json"),
    );
    const key = json<{ plaintext: string }>(await cli("keys", "create", "cli-broke", "--json")).plaintext;
    const refused = await cli("classify", "I was charged twice this month, please refund", "--key", key);
    expect(refused.code, refused.stdout).toBe(1);
    expect(refused.stderr).toMatch(/budget_exceeded/);
    expect(refused.stderr).toMatch(/tenant daily budget of \$0\.000000 cannot cover this request/);
    const spent = async () => {
      const { rows } = await sql<{ cost: string }>`
        select coalesce(sum(cost_micros), 0) as cost from llm_calls where tenant_id = ${tenant.id}`.execute(
        t.db,
      );
      return Number(rows[0]!.cost);
    };
    expect(await spent()).toBe(0);

    expect((await cli("tenants", "limits", "cli-broke", "--budget", "1")).code).toBe(0);
    const answered = await cli(
      "classify",
      "I was charged twice this month, please refund",
      "--key",
      key,
      "--json",
    );
    const result = json<{ costMicros: number }>(answered);
    expect(result.costMicros).toBeGreaterThan(0);
    await expect.poll(spent, { timeout: 5_000 }).toBe(result.costMicros);
  });
});
