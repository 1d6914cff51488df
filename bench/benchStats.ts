import fs from "node:fs";

/** Percentile of a sample, in the sample's unit. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Formats milliseconds with three decimals. */
export function ms(value: number): string {
  return `${value.toFixed(3)} ms`;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number | string): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's resident memory from /proc (kB → MB): now (`VmRSS`) or its peak (`VmHWM`). */
export function rssMb(pid: number, field: "VmHWM" | "VmRSS" = "VmRSS"): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
}

/** CPU seconds each Postgres process on this machine has used so far, by pid. */
function postgresCpuByPid(): Map<string, number> {
  const byPid = new Map<string, number>();
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.indexOf("(") + 1, stat.indexOf(")")) === "postgres")
        byPid.set(pid, cpuSeconds(pid));
    } catch {
      // The process ended meanwhile.
    }
  }
  return byPid;
}

/**
 * Starts measuring Postgres's CPU; the returned function gives the seconds its processes used
 * since (those that ended meanwhile are not counted: their usage went with them).
 */
export function postgresCpuMeter(): () => number {
  const before = postgresCpuByPid();
  return () => {
    let total = 0;
    for (const [pid, seconds] of postgresCpuByPid()) total += seconds - (before.get(pid) ?? 0);
    return total;
  };
}

/** Starts measuring CPU; the returned function gives µs per job over what happened since. */
export function cpuMeter(): (jobs: number) => { postgres: number; node: number } {
  const postgres = postgresCpuMeter();
  const node0 = process.cpuUsage();
  return (jobs) => {
    const node = process.cpuUsage(node0);
    return {
      postgres: (postgres() * 1e6) / jobs,
      node: (node.user + node.system) / jobs,
    };
  };
}
