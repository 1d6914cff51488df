import fs from "node:fs";
import { type LabelledTicket, recordFormatOf, recordsOfText } from "@sluice/core";
import { CliFailure } from "../output/failure.ts";

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
  const fail = (problem: string): never => {
    throw new CliFailure("invalid_dataset", `${file} ${problem}`);
  };
  return recordsOfText(fs.readFileSync(file, "utf8"), recordFormatOf(file), fail).map(({ where, value }) => {
    try {
      return checked(value as Record<string, unknown>, `${file} ${where}`);
    } catch (error) {
      // A line of JSON that is no object at all (null) reads as broken JSON.
      if (error instanceof CliFailure) throw error;
      return fail(`${where}: not valid JSON`);
    }
  });
}
