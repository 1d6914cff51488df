import fs from "node:fs";
import path from "node:path";
import type { LabelledTicket } from "@sluice/core";
import { CliFailure } from "../output/failure.ts";

/** Rows of a CSV text (quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      if (row.some((f) => f !== "")) rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== "")) rows.push(row);
  return rows;
}

function checked(record: Record<string, unknown>, where: string): LabelledTicket {
  for (const key of ["subject", "body", "urgency", "category"]) {
    if (typeof record[key] !== "string" || record[key] === "") {
      throw new CliFailure("invalid_dataset", `${where}: "${key}" is missing or empty`);
    }
  }
  return record as unknown as LabelledTicket;
}

/** Reads labelled tickets from a JSONL or CSV file (columns subject, body, urgency, category). */
export function readLabelledTickets(file: string): LabelledTicket[] {
  if (!fs.existsSync(file)) throw new CliFailure("invalid_dataset", `dataset ${file} does not exist`);
  const text = fs.readFileSync(file, "utf8");
  if (path.extname(file).toLowerCase() === ".csv") {
    const [header, ...rows] = parseCsv(text);
    if (!header) throw new CliFailure("invalid_dataset", `${file} is empty`);
    return rows.map((cells, i) =>
      checked(Object.fromEntries(header.map((h, j) => [h.trim(), cells[j] ?? ""])), `${file} row ${i + 2}`),
    );
  }
  return text
    .split("\n")
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== "")
    .map(({ line, n }) => {
      try {
        return checked(JSON.parse(line) as Record<string, unknown>, `${file} line ${n}`);
      } catch (error) {
        if (error instanceof CliFailure) throw error;
        throw new CliFailure("invalid_dataset", `${file} line ${n}: not valid JSON`);
      }
    });
}
