import fs from "node:fs";
import path from "node:path";
import { CliFailure } from "../output/failure.ts";
import { parseCsv } from "./labelledTickets.ts";

/** A ticket to import. */
export interface TicketRecord {
  subject: string;
  body: string;
  customerEmail: string;
}

function record(raw: Record<string, unknown>, where: string): TicketRecord {
  const email = raw.customerEmail ?? raw.customer_email ?? raw.email;
  for (const [key, value] of [
    ["subject", raw.subject],
    ["body", raw.body],
    ["customerEmail", email],
  ] as const) {
    if (typeof value !== "string" || value.trim() === "") {
      throw new CliFailure("invalid_input", `${where}: "${key}" is missing or empty`);
    }
  }
  return { subject: raw.subject as string, body: raw.body as string, customerEmail: email as string };
}

/** Reads tickets from CSV (columns subject, body, customer_email) or JSONL; a bad line names itself. */
export function readTicketFile(file: string): TicketRecord[] {
  if (!fs.existsSync(file)) throw new CliFailure("invalid_input", `file ${file} does not exist`);
  const text = fs.readFileSync(file, "utf8");
  if (path.extname(file).toLowerCase() === ".csv") {
    const [header, ...rows] = parseCsv(text);
    if (!header) throw new CliFailure("invalid_input", `${file} is empty`);
    return rows.map((cells, i) =>
      record(Object.fromEntries(header.map((h, j) => [h.trim(), cells[j] ?? ""])), `${file} row ${i + 2}`),
    );
  }
  return text
    .split("\n")
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== "")
    .map(({ line, n }) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new CliFailure("invalid_input", `${file} line ${n}: not valid JSON`);
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new CliFailure("invalid_input", `${file} line ${n}: not a JSON object`);
      }
      return record(parsed as Record<string, unknown>, `${file} line ${n}`);
    });
}
