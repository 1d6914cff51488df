import { fileURLToPath } from "node:url";
import { type NodeProcess, startNodeProcess } from "@sluice/db/testing";

const mainEntry = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

/** Starts the API's own entry point as a process; resolves once it listens, with its URL as `ready`. */
export function startApiProcess(env: Record<string, string>): Promise<NodeProcess<string>> {
  return startNodeProcess({
    name: "API process",
    entry: mainEntry,
    env: { ...process.env, ...env },
    ready: (out) => /listening on (http:\/\/\S+)/.exec(out)?.[1],
  });
}
