import { startTestApi, type TestApi } from "@sluice/api/testing";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "./runCli.ts";

// Virtual keys and the spend report through the real `sluice` CLI against a running API.

const t = useTestDatabase();
let api: TestApi;
// Each `sluice` process takes seconds on a loaded machine.
const SLOW = { timeout: 300_000 };
const cli = (...args: string[]) =>
  runCli(args, {
    SLUICE_URL: api.url,
    SLUICE_API_KEY: api.admin.key,
    SLUICE_HOME: "/nonexistent-sluice-home",
  });

function json<T>(run: CliResult): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}${run.stderr}`);
  }
}

async function chat(key: string, model: string, user?: string) {
  const res = await fetch(`${api.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "cli" }], max_tokens: 8, user }),
  });
  return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
}

type KeyJson = {
  id: string;
  keyPrefix: string;
  rateLimitRpm: number | null;
  allowedModels: string[] | null;
  expiresAt: string | null;
  metadata: Record<string, unknown>;
};

beforeAll(async () => {
  api = await startTestApi(t);
});
afterAll(() => api?.close());

describe("sluice keys and sluice spend", () => {
  it(
    "creates a key with limits, models, expiry and metadata, updates and rotates it, and reports its spend",
    SLOW,
    async () => {
      const tenant = await api.tenant("cli-keys", "tenant");
      const tenantName = (
        await t.db.selectFrom("tenants").select("name").where("id", "=", tenant.id).executeTakeFirstOrThrow()
      ).name;
      const created = json<{ key: KeyJson; plaintext: string }>(
        await cli(
          "keys",
          "create",
          tenantName,
          "--name",
          "cli-key",
          "--rpm",
          "2",
          "--models",
          "gpt-4o*,cascade:*",
          "--expires-in",
          "30d",
          "--metadata",
          '{"team":"support"}',
          "--json",
        ),
      );
      expect(created.key).toMatchObject({
        rateLimitRpm: 2,
        allowedModels: ["gpt-4o*", "cascade:*"],
        metadata: { team: "support" },
      });
      const days = (Date.parse(created.key.expiresAt ?? "") - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(29.9);
      expect(days).toBeLessThanOrEqual(30);
      const listed = await cli("keys", "list", tenantName);
      const row = listed.stdout.split("\n").find((line) => line.includes(created.key.keyPrefix)) ?? "";
      expect(row).toMatch(/2 rpm\s+gpt-4o\*,cascade:\*\s+20\d\d-.*active/);

      expect(await chat(created.plaintext, "sim-small")).toEqual({ status: 403, code: "model_not_allowed" });
      expect((await chat(created.plaintext, "gpt-4o-mini", "cli-user")).status).toBe(200);
      expect((await chat(created.plaintext, "gpt-4o-mini", "cli-user")).status).toBe(200);
      expect(await chat(created.plaintext, "gpt-4o-mini")).toEqual({
        status: 429,
        code: "rate_limit_exceeded",
      });

      const updated = json<KeyJson>(
        await cli("keys", "update", created.key.keyPrefix, "--rpm", "none", "--models", "none", "--json"),
      );
      expect(updated).toMatchObject({
        rateLimitRpm: null,
        allowedModels: null,
        metadata: { team: "support" },
      });
      expect((await chat(created.plaintext, "sim-small")).status).toBe(200);

      const rotated = json<{ key: KeyJson; plaintext: string }>(
        await cli("keys", "rotate", "cli-key", "--tenant", tenantName, "--grace", "0s", "--json"),
      );
      expect(rotated.key.id).toBe(created.key.id);
      expect(await chat(created.plaintext, "sim-small")).toEqual({ status: 401, code: "key_rotated" });
      expect((await chat(rotated.plaintext, "sim-small")).status).toBe(200);

      await api.services.runtime.callLog.flush();
      const report = json<{
        groups: { apiKeyId: string; model: string; calls: number; costMicros: number }[];
      }>(await cli("spend", "--by", "key,model", "--tenant", tenantName, "--json"));
      const rows = await t.db
        .selectFrom("llmCalls")
        .select(["apiKeyId", "model", "costMicros"])
        .where("tenantId", "=", tenant.id)
        .execute();
      const sums = new Map<string, { calls: number; costMicros: number }>();
      for (const r of rows) {
        const id = `${r.apiKeyId}/${r.model}`;
        const s = sums.get(id) ?? { calls: 0, costMicros: 0 };
        sums.set(id, { calls: s.calls + 1, costMicros: s.costMicros + r.costMicros });
      }
      expect(
        new Map(
          report.groups.map((g) => [
            `${g.apiKeyId}/${g.model}`,
            { calls: g.calls, costMicros: g.costMicros },
          ]),
        ),
      ).toEqual(sums);
      expect(sums.get(`${created.key.id}/gpt-4o-mini`)?.calls).toBe(2);
    },
  );
});
