import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./runCli.ts";

const home = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-eval-"));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
const env = { SLUICE_HOME: home, OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "", SLUICE_SIMULATOR_URL: "" };

interface Arm {
  arm: string;
  accuracy: number;
  costMicros: number;
  escalationRate: number | null;
}

const withoutLatency = (arms: (Arm & Record<string, unknown>)[]) =>
  arms.map(({ latencyP50Ms: _p, latencyMeanMs: _m, ...rest }) => rest);

describe("sluice eval", () => {
  it("prints the same numbers on two runs with the same seed", async () => {
    const [a, b] = [
      await runCli(["eval", "--limit", "40", "--json"], env),
      await runCli(["eval", "--limit", "40", "--json"], env),
    ];
    expect([a.code, b.code], a.stderr).toEqual([0, 0]);
    const first = JSON.parse(a.stdout) as { items: number; arms: (Arm & Record<string, unknown>)[] };
    expect(first.items).toBe(40);
    expect(first.arms.map((x) => x.arm)).toEqual(["sim-small", "sim-large", "cascade:simulator @ 0.8"]);
    expect(withoutLatency(JSON.parse(b.stdout).arms)).toEqual(withoutLatency(first.arms));
  });

  it("shows a table for people", async () => {
    const run = await runCli(["eval", "--limit", "20"], env);
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")[0]).toMatch(
      /^arm\s+accuracy\s+cost \$\s+vs top\s+escalated\s+saved \$\s+p50 latency$/,
    );
  });

  it("calibrates, saves the threshold and uses it next time", async () => {
    const run = await runCli(["eval", "--limit", "120", "--calibrate", "--target", "0.97", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as {
      calibration: { threshold: number; topAccuracy: number; result: Arm };
    };
    expect(out.calibration.result.accuracy).toBeGreaterThanOrEqual(0.97 * out.calibration.topAccuracy);
    const saved = JSON.parse(fs.readFileSync(path.join(home, "cascades.json"), "utf8")) as {
      name: string;
      confidenceThreshold: number;
    }[];
    expect(saved).toEqual([
      expect.objectContaining({ name: "simulator", confidenceThreshold: out.calibration.threshold }),
    ]);
    const next = JSON.parse((await runCli(["eval", "--limit", "10", "--json"], env)).stdout) as {
      arms: Arm[];
    };
    expect(next.arms.at(-1)?.arm).toBe(`cascade:simulator @ ${out.calibration.threshold}`);
  });

  it("reads a CSV dataset and rejects a broken one in one line", async () => {
    const csv = path.join(home, "tickets.csv");
    fs.writeFileSync(
      csv,
      'subject,body,urgency,category\n"Refund, please","I was charged twice",high,billing\n',
    );
    const ok = await runCli(["eval", "--dataset", csv, "--json"], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).items).toBe(1);
    const bad = path.join(home, "bad.jsonl");
    fs.writeFileSync(bad, '{"subject":"x","body":"y","urgency":"low"}\n');
    const run = await runCli(["eval", "--dataset", bad], env);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`error: invalid_dataset: ${bad} line 1: "category" is missing or empty`);
  });

  it("rejects bad flags as usage errors", async () => {
    expect((await runCli(["eval", "--target", "2"], env)).code).toBe(2);
    expect((await runCli(["eval", "--limit", "0"], env)).code).toBe(2);
    const unknown = await runCli(["eval", "--cascade", "nope"], env);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([1, 'error: not_found: unknown cascade "nope"']);
  });
});
