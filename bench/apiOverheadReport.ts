// The table and the comparisons `pnpm bench:api` prints (bench/apiOverhead.ts measures them).
import os from "node:os";
import { ms } from "./benchStats.ts";

/**
 * Who serves a target: the simulator itself, Sluice, Portkey, the bare Node proxy (the floor), or an
 * earlier Sluice (BENCH_BASELINE_DIR).
 */
export type Contender = "direct" | "sluice" | "portkey" | "floor" | "baseline";

/** Which request a target is sent: the plain chat request or the one with two tools and a tool_choice. */
export type RequestKind = "plain" | "tools";

/** One thing to load: a URL, its headers and body, and who serves it. */
export interface Target {
  name: string;
  contender: Contender;
  request: RequestKind;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The serving process, whose CPU time per request is reported. */
  pid?: number | undefined;
}

/** A target's medians over the rounds. */
export interface Measured {
  name: string;
  contender: Contender;
  request: RequestKind;
  p50: number;
  p99: number;
  rps: number;
  rpsAll: number[];
  cpuUs: number;
  errors: number;
}

/** How the run was made, for the header line. */
export interface RunSetup {
  rounds: number;
  latencyRequests: number;
  seconds: number;
}

/** Sluice's plain requests/s must reach this multiple of Portkey's in the same run. */
export const PORTKEY_RATIO_TARGET = 3.5;

const count = (value: number) => Math.round(value).toLocaleString("en-US");
const percent = (share: number) => `${(share * 100).toFixed(0)}%`;
const signedMs = (value: number) => `${value >= 0 ? "+" : "−"}${ms(Math.abs(value))}`;

/** Prints the per-target table, then Sluice against the floor and Portkey, plain and with tools. */
export function report(results: Measured[], setup: RunSetup): void {
  const find = (contender: Contender, request: RequestKind) =>
    results.find((r) => r.contender === contender && r.request === request);
  const added = (r: Measured) => r.p50 - (find("direct", r.request) ?? r).p50;
  console.log(
    `node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model}); ${setup.rounds} interleaved rounds of ` +
      `${setup.latencyRequests} sequential requests (c=1) and ${setup.seconds}s at c=32 per target; medians over rounds`,
  );
  console.log(
    "| target | request | p50 (c=1) | p99 (c=1) | added p50 | req/s (c=32) | req/s per round | CPU per request | errors |\n" +
      "|---|---|---|---|---|---|---|---|---|",
  );
  for (const r of results) {
    const cpu = Number.isNaN(r.cpuUs) ? "–" : `${r.cpuUs.toFixed(0)} µs`;
    console.log(
      `| ${r.name} | ${r.request} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.contender === "direct" ? "–" : ms(added(r))} | ` +
        `${count(r.rps)} | ${r.rpsAll.map((v) => v.toFixed(0)).join(", ")} | ${cpu} | ${r.errors} |`,
    );
  }
  for (const request of ["plain", "tools"] as const) {
    const sluice = find("sluice", request);
    const floor = find("floor", request);
    if (!sluice || !floor) continue;
    const portkey = find("portkey", request);
    console.log(
      `${request === "plain" ? "Plain" : "Tool-calling"} request: Sluice serves ${count(sluice.rps)} req/s, ` +
        `${percent(sluice.rps / floor.rps)} of the floor's ${count(floor.rps)}, and adds ${ms(added(sluice))} at p50 ` +
        `(floor ${ms(added(floor))}${portkey ? `, Portkey ${ms(added(portkey))}` : ""})`,
    );
  }
  const [plain, tools] = [find("sluice", "plain"), find("sluice", "tools")];
  const [floorPlain, floorTools] = [find("floor", "plain"), find("floor", "tools")];
  if (plain && tools && floorPlain && floorTools) {
    console.log(
      `Tools against plain: Sluice's added p50 ${signedMs(added(tools) - added(plain))}, req/s ` +
        `${percent(tools.rps / plain.rps)} of plain; the floor's ${signedMs(added(floorTools) - added(floorPlain))}, ` +
        `${percent(floorTools.rps / floorPlain.rps)} of plain`,
    );
  }
  const baseline = find("baseline", "plain");
  if (plain && baseline) {
    console.log(
      `Plain request against ${baseline.name}: Sluice serves ${percent(plain.rps / baseline.rps)} of its req/s ` +
        `(${count(plain.rps)} vs ${count(baseline.rps)}), with ${percent(plain.cpuUs / baseline.cpuUs)} of its CPU per ` +
        `request (${plain.cpuUs.toFixed(0)} vs ${baseline.cpuUs.toFixed(0)} µs), adding ${signedMs(added(plain) - added(baseline))} at p50`,
    );
  }
  const portkey = find("portkey", "plain");
  if (plain && portkey) {
    const ratio = plain.rps / portkey.rps;
    console.log(
      `Sluice serves ${ratio.toFixed(2)}x Portkey's requests/s (target: at least ${PORTKEY_RATIO_TARGET}x, ` +
        `${ratio >= PORTKEY_RATIO_TARGET ? "met" : "NOT met"}) using ${percent(plain.cpuUs / portkey.cpuUs)} ` +
        "of its CPU per request",
    );
  }
}
