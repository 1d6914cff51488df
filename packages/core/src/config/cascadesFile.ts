import fs from "node:fs";
import path from "node:path";
import { SluiceError } from "../errors/sluiceError.ts";

/** Where calibrated cascades are kept, under the Sluice home directory. */
export function cascadesFilePath(home: string): string {
  return path.resolve(home, "cascades.json");
}

/** Cascades saved in the file (an empty list when there is no file). */
export function readCascadesFile(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    if (!Array.isArray(parsed)) throw new Error("expected a JSON array");
    return parsed as Record<string, unknown>[];
  } catch (error) {
    throw new SluiceError(
      "validation_error",
      `${file} is not a valid cascades file: ${(error as Error).message}`,
    );
  }
}

/** Saves a cascade into the file, replacing one of the same name (atomic rename). */
export function writeCascadeToFile(file: string, cascade: Record<string, unknown> & { name: string }): void {
  const others = readCascadesFile(file).filter((c) => c.name !== cascade.name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify([...others, cascade], null, 2)}\n`);
  fs.renameSync(tmp, file);
}
