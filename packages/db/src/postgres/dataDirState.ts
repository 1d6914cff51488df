import fs from "node:fs";
import path from "node:path";

/** What a data directory holds before we start a server on it. */
export type DataDirState =
  | { kind: "missing" }
  | { kind: "empty" }
  | { kind: "initialised" }
  | { kind: "locked"; pid: number }
  | { kind: "corrupt"; reason: string };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user (the postgres user).
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Inspects a Postgres data directory without touching it. */
export function inspectDataDir(dataDir: string): DataDirState {
  if (!fs.existsSync(dataDir)) return { kind: "missing" };
  const entries = fs.readdirSync(dataDir);
  if (entries.length === 0) return { kind: "empty" };
  if (!entries.includes("PG_VERSION")) {
    return { kind: "corrupt", reason: "it is not empty but has no PG_VERSION file" };
  }
  for (const required of ["global", "base", "postgresql.conf"]) {
    if (!entries.includes(required)) return { kind: "corrupt", reason: `${required} is missing` };
  }
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (fs.existsSync(pidFile)) {
    const pid = Number.parseInt(fs.readFileSync(pidFile, "utf8").split("\n")[0] ?? "", 10);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return { kind: "locked", pid };
  }
  return { kind: "initialised" };
}
