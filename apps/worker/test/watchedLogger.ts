import { Writable } from "node:stream";
import { type Logger, pino } from "pino";

/** A log line as pino writes it. */
export interface LogLine {
  msg?: string;
  err?: { type?: string; message?: string };
}

/** A logger (warnings and worse) that tells `onMessage` each line's message as it is written. */
export function watchedLogger(onMessage: (msg: string, line: LogLine) => void): Logger {
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        const parsed = JSON.parse(line) as LogLine;
        onMessage(parsed.msg ?? "", parsed);
      }
      done();
    },
  });
  return pino({ level: "warn" }, lines);
}
