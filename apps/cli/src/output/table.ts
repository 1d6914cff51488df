import Table from "cli-table3";
import { paint } from "./terminal.ts";

type Cell = string | number | boolean | null | undefined;

/** Prints rows under a header as an aligned table for people (no borders, bold header on terminals). */
export function printTable(head: string[], rows: Cell[][]): void {
  printRows(
    rows,
    head.map((h) => paint("bold", h)),
  );
}

/** Prints rows as aligned columns, without a header. */
export function printColumns(rows: Cell[][]): void {
  printRows(rows, []);
}

function printRows(rows: Cell[][], head: string[]): void {
  const table = new Table({
    head,
    style: { head: [], border: [], compact: true, "padding-left": 0, "padding-right": 2 },
    chars: {
      top: "",
      "top-mid": "",
      "top-left": "",
      "top-right": "",
      bottom: "",
      "bottom-mid": "",
      "bottom-left": "",
      "bottom-right": "",
      left: "",
      "left-mid": "",
      mid: "",
      "mid-mid": "",
      right: "",
      "right-mid": "",
      middle: "",
    },
  });
  for (const row of rows)
    table.push(row.map((cell) => (cell === null || cell === undefined ? "" : String(cell))));
  // cli-table3 pads the last column too; people do not need the trailing spaces.
  const lines = table
    .toString()
    .split("\n")
    .map((line) => line.trimEnd());
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** Prints label/value pairs, one per line. */
export function printFields(fields: [string, unknown][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [key, value] of fields) {
    const text =
      value === null || value === undefined
        ? ""
        : typeof value === "object"
          ? JSON.stringify(value)
          : String(value);
    process.stdout.write(`${paint("bold", key.padEnd(width))}  ${text}\n`);
  }
}
