import { describe, expect, it } from "vitest";
import { parseCsv, recordFormatOf, recordsOfText } from "./recordText.ts";

const fail = (problem: string): never => {
  throw new Error(problem);
};

describe("recordsOfText", () => {
  it("reads CSV rows as objects keyed by the trimmed header, with quotes, doubled quotes and CRLF", () => {
    const text = 'subject , body\r\n"Hi, there","said ""no"""\r\n\r\nonly subject\n';
    expect(recordsOfText(text, "csv", fail)).toEqual([
      { where: "row 2", value: { subject: "Hi, there", body: 'said "no"' } },
      { where: "row 3", value: { subject: "only subject", body: "" } },
    ]);
  });

  it("numbers JSONL records by their line, blank lines counted", () => {
    expect(recordsOfText('{"a":1}\n\n  [2]  \r\nnull\n', "jsonl", fail)).toEqual([
      { where: "line 1", value: { a: 1 } },
      { where: "line 3", value: [2] },
      { where: "line 4", value: null },
    ]);
  });

  it("names the problem: an empty CSV, a line that is not JSON", () => {
    expect(() => recordsOfText("\n\n", "csv", fail)).toThrow("is empty");
    expect(() => recordsOfText('{"a":1}\n{broken\n', "jsonl", fail)).toThrow("line 2: not valid JSON");
  });

  it("tells the format by the file's extension", () => {
    expect(recordFormatOf("/x/tickets.CSV")).toBe("csv");
    expect(recordFormatOf("tickets.jsonl")).toBe("jsonl");
    expect(recordFormatOf("tickets")).toBe("jsonl");
    expect(parseCsv("a,b\n")).toEqual([["a", "b"]]);
  });
});
