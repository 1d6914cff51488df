import { styleText } from "node:util";

/** Colours text for people; plain when stdout is not a TTY or NO_COLOR is set (styleText checks both). */
export function paint(format: Parameters<typeof styleText>[0], text: string): string {
  return styleText(format, text, { stream: process.stdout });
}

/** Prints a value as JSON for scripts. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
