import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DatabaseError } from "../errors.ts";
import { STDERR_TAIL_LINES, spawnLauncher, waitForStart } from "./launcherProcess.ts";

const childEntry = fileURLToPath(new URL("./embeddedChild.ts", import.meta.url));

async function startFailure(args: string[]): Promise<DatabaseError> {
  const error = await waitForStart(spawnLauncher(args), 30_000).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DatabaseError);
  return error as DatabaseError;
}

describe("launcher start failures", () => {
  it("carry the launcher's stderr when it dies before it is ready", async () => {
    // The real launcher, given a config it cannot parse, crashes with a stack trace on stderr.
    const error = await startFailure([childEntry, "{not json"]);
    expect(error.code).toBe("embedded_start_failed");
    expect(error.message).toMatch(
      /^embedded Postgres launcher exited \(code 1\) before it was ready; its last lines on stderr:\n/,
    );
    expect(error.message).toContain("SyntaxError");
  });

  it("keep only the last lines of a long stderr, and the exit code", async () => {
    const script = "for (let i = 1; i <= 30; i++) console.error('line ' + i); process.exit(3)";
    const error = await startFailure(["-e", script]);
    const lines = error.message.split("\n").slice(1);
    expect(error.message).toMatch(/^embedded Postgres launcher exited \(code 3\)/);
    expect(lines).toHaveLength(STDERR_TAIL_LINES);
    expect(lines[0]).toBe(`  line ${31 - STDERR_TAIL_LINES}`);
    expect(lines.at(-1)).toBe("  line 30");
  });

  it("say so when the launcher wrote nothing", async () => {
    const error = await startFailure(["-e", "process.exit(4)"]);
    expect(error.message).toBe(
      "embedded Postgres launcher exited (code 4) before it was ready (it wrote nothing to stderr)",
    );
  });

  it("report the launcher's own error message when it sends one", async () => {
    const script =
      "process.send({ type: 'error', code: 'data_dir_corrupt', message: 'move it aside' }, () => process.exit(1))";
    const error = await startFailure(["-e", script]);
    expect(error.code).toBe("data_dir_corrupt");
    expect(error.message).toBe("move it aside");
  });
});
