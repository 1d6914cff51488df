import fs from "node:fs";
import { recordFormatOf, recordsOfText } from "@sluice/core";
import { CliFailure } from "../output/failure.ts";

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
  const fail = (problem: string): never => {
    throw new CliFailure("invalid_input", `${file} ${problem}`);
  };
  return recordsOfText(fs.readFileSync(file, "utf8"), recordFormatOf(file), fail).map(({ where, value }) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return fail(`${where}: not a JSON object`);
    }
    return record(value as Record<string, unknown>, `${file} ${where}`);
  });
}
