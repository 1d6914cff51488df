import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { startNodeProcess } from "@sluice/db/testing";

const cliEntry = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** A `sluice up` started by a test, in its own process group (as a terminal runs it). */
export interface UpProcess {
  child: ChildProcess;
  url: string;
  demoKey: string;
  /** The `curl` line the banner printed. */
  curl: string;
  output(): string;
  /** Ctrl-C: SIGINT to the whole group; resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

/** Starts `sluice up` and resolves once it printed its banner. */
export async function startUp(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<UpProcess> {
  const up = await startNodeProcess({
    name: "sluice up",
    entry: cliEntry,
    args: ["up", ...args],
    env: { ...process.env, NO_COLOR: "1", ...env },
    detached: true,
    timeoutMs,
    ready: (out) => {
      const url = /Sluice is up: API on (\S+),/.exec(out)?.[1];
      const demoKey = /demo tenant key\s+(\S+)/.exec(out)?.[1];
      const curl = /^\s*(curl -s .*)$/m.exec(out)?.[1];
      return url && demoKey && curl && out.includes("Ctrl-C stops everything")
        ? { url, demoKey, curl }
        : undefined;
    },
  });
  return {
    child: up.child,
    ...up.ready,
    output: up.output,
    interrupt: () => {
      process.kill(-up.child.pid!, "SIGINT");
      return up.exitCode;
    },
  };
}

/** Runs the banner's curl command the way a shell would, with fetch. */
export async function runPrintedCurl(curl: string): Promise<Response> {
  const url = /curl -s (\S+)/.exec(curl)?.[1];
  const headers = [...curl.matchAll(/-H "([^:]+): ([^"]+)"/g)].map((m) => [m[1]!, m[2]!] as const);
  const body = /-d '(.*)'$/.exec(curl)?.[1];
  return fetch(url!, { method: "POST", headers: Object.fromEntries(headers), body: body ?? null });
}

/** Whether a process with this pid is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process descended from `pid` (read from /proc). */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}
