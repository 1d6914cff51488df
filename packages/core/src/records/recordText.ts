import path from "node:path";

/** Rows of a CSV text (quoted fields, doubled quotes, CRLF or LF); rows with nothing in them are skipped. */
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

/** How a file of records is written: CSV with a header row, or one JSON value per line. */
export type RecordTextFormat = "csv" | "jsonl";

/** The format of a records file by its name: `.csv` is CSV, anything else JSONL. */
export function recordFormatOf(file: string): RecordTextFormat {
  return path.extname(file).toLowerCase() === ".csv" ? "csv" : "jsonl";
}

/** One record of a CSV or JSONL text, and where it stands there (`row 2`, `line 3`). */
export interface TextRecord {
  where: string;
  value: unknown;
}

/**
 * The records of a text: for CSV one object per row, keyed by the trimmed header (missing cells
 * empty); for JSONL the JSON value of each non-blank line, numbered as the file's lines are. A
 * problem goes to `fail` as the words that follow the file's name (`is empty`,
 * `line 3: not valid JSON`), so each caller raises its own error.
 */
export function recordsOfText(
  text: string,
  format: RecordTextFormat,
  fail: (problem: string) => never,
): TextRecord[] {
  if (format === "csv") {
    const [header, ...rows] = parseCsv(text);
    if (!header) return fail("is empty");
    return rows.map((cells, i) => ({
      where: `row ${i + 2}`,
      value: Object.fromEntries(header.map((h, j) => [h.trim(), cells[j] ?? ""])),
    }));
  }
  return text
    .split("\n")
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== "")
    .map(({ line, n }) => {
      try {
        return { where: `line ${n}`, value: JSON.parse(line) as unknown };
      } catch {
        return fail(`line ${n}: not valid JSON`);
      }
    });
}
