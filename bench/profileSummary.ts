// Summarises a V8 .cpuprofile: self time per package or area, for "where does a request go".
// Run: node bench/profileSummary.ts <file.cpuprofile>
import fs from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
const profile = JSON.parse(fs.readFileSync(process.argv[2] ?? "", "utf8")) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
for (const [i, id] of profile.samples.entries())
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));

function area(url: string, fn: string): string {
  if (!url)
    return fn === "(garbage collector)"
      ? "garbage collection"
      : fn === "(idle)"
        ? "idle"
        : fn === "(program)"
          ? "runtime (program)"
          : `native: ${fn || "(anonymous)"}`;
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return `npm: ${pkg}`;
  const ours = /\/(packages|apps)\/([^/]+)\/src\/(.+)$/.exec(url);
  if (ours) return `sluice: ${ours[1]}/${ours[2]}`;
  if (url.startsWith("node:")) return `node: ${url.slice(5).split("/")[0]}`;
  return url;
}
const totals = new Map<string, number>();
let all = 0;
for (const [id, us] of self) {
  const node = byId.get(id)!;
  const key = area(node.callFrame.url, node.callFrame.functionName);
  totals.set(key, (totals.get(key) ?? 0) + us);
  all += us;
}
const busy = all - (totals.get("idle") ?? 0);
console.log("| area | share of busy CPU |\n|---|---|");
for (const [key, us] of [...totals]
  .filter(([k]) => k !== "idle")
  .sort((a, b) => b[1] - a[1])
  .slice(0, 14)) {
  console.log(`| ${key} | ${((us / busy) * 100).toFixed(1)}% |`);
}
