import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// Every query is parameterised: kysely's builders and `sql` templates bind values. This guards the
// ways around that: `sql.raw` / `sql.lit`, and driver `query()` calls with text built from values
// (identifiers must go through `escapeIdentifier`).
const root = fileURLToPath(new URL("../../..", import.meta.url));

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sources(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [full] : [];
  });
}

describe("SQL safety", () => {
  it("builds no SQL text from values anywhere in the source", () => {
    const files = ["packages", "apps"].flatMap((top) =>
      fs
        .readdirSync(path.join(root, top))
        .map((pkg) => path.join(root, top, pkg, "src"))
        .filter((dir) => fs.existsSync(dir))
        .flatMap(sources),
    );
    expect(files.length).toBeGreaterThan(100);
    const findings: string[] = [];
    for (const file of files) {
      fs.readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          const where = `${path.relative(root, file)}:${i + 1}`;
          if (/\bsql\.(raw|lit)\s*\(/.test(line)) findings.push(`${where}: ${line.trim()}`);
          const query = /\.query\(\s*`([^`]*)`/.exec(line);
          if (
            query?.[1]?.includes("${") &&
            !/^[^$]*(\$\{[^}]*escapeIdentifier\([^)]*\)\}[^$]*)+$/.test(query[1])
          )
            findings.push(`${where}: ${line.trim()}`);
        });
    }
    expect(findings).toEqual([]);
  });
});
