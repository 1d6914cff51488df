import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { WORKER_NODE_FLAGS } from "@sluice/worker/nodeFlags";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./runCli.ts";
import { alive, descendants, runPrintedCurl, startUp } from "./upProcess.ts";

const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-up-"));
fs.chmodSync(home, 0o755);
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

// Zero setup: no DATABASE_URL, so `up` starts an embedded Postgres under SLUICE_HOME.
const env = { DATABASE_URL: "", SLUICE_HOME: home, OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "" };

describe("sluice up", () => {
  it("brings everything up from an empty home, the printed curl works, Ctrl-C leaves nothing, and a second up keeps the data", {
    timeout: 240_000,
  }, async () => {
    const first = await startUp(["--port", "0", "--workers", "2"], env, 180_000);
    expect(first.output()).toMatch(/embedded, data in/);
    expect(first.output()).toMatch(/the simulator answers on/);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    const answer = await runPrintedCurl(first.curl);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({
      object: "chat.completion",
      sluice: { requested_model: "cascade:simulator" },
    });
    // The admin CLI was configured by `up`.
    const tenants = await runCli(["tenants", "list", "--json"], { SLUICE_HOME: home });
    expect(tenants.code, tenants.stderr).toBe(0);
    expect((JSON.parse(tenants.stdout) as { name: string }[]).map((t) => t.name)).toEqual(
      expect.arrayContaining(["admin", "demo"]),
    );
    const created = await runCli(
      ["tickets", "import", fixture("tickets.jsonl"), "--key", first.demoKey, "--json"],
      { SLUICE_HOME: home },
    );
    expect(created.code, created.stderr).toBe(0);
    const processes = descendants(first.child.pid!);
    expect(processes.length).toBeGreaterThanOrEqual(4);
    // Workers start with the heap settings that bound their memory under load.
    const commandLines = processes.map((pid) =>
      fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean),
    );
    const workers = commandLines.filter((argv) => argv.at(-1) === "worker");
    expect(workers).toHaveLength(2);
    for (const argv of workers) expect(argv).toEqual(expect.arrayContaining([...WORKER_NODE_FLAGS]));
    expect(await first.interrupt()).toBe(0);
    await expect.poll(() => processes.filter(alive), { timeout: 15_000 }).toEqual([]);
    expect(fs.existsSync(path.join(home, "postgres", "postmaster.pid"))).toBe(false);

    const second = await startUp(["--port", "0"], env, 180_000);
    expect(second.demoKey).toBe(first.demoKey);
    const list = await runCli(["tickets", "list", "--key", second.demoKey, "--json"], { SLUICE_HOME: home });
    expect((JSON.parse(list.stdout) as { items: unknown[] }).items).toHaveLength(2);
    expect(await second.interrupt()).toBe(0);
  });
});

function fixture(name: string): string {
  const file = path.join(home, name);
  fs.writeFileSync(
    file,
    [
      {
        subject: "Charged twice",
        body: "My card was charged twice this month.",
        customer_email: "a@example.com",
      },
      {
        subject: "Cannot log in",
        body: "The login page says my password is wrong.",
        customer_email: "b@example.com",
      },
    ]
      .map((t) => JSON.stringify(t))
      .join("\n"),
  );
  return file;
}
