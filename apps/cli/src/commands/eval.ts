import { evalNeedsSimulator, evaluateClassifier, formatMicros, loadConfig } from "@sluice/core";
import { startSimulator, ticketDataset } from "@sluice/simulator";
import { type Command, InvalidArgumentError } from "commander";
import { readLabelledTickets } from "../datasets/labelledTickets.ts";
import { CliFailure } from "../output/failure.ts";
import { printColumns } from "../output/table.ts";
import { printJson } from "../output/terminal.ts";

interface EvalOptions {
  dataset?: string;
  cascade: string;
  limit?: number;
  seed: number;
  concurrency: number;
  calibrate?: boolean;
  target: number;
  json?: boolean;
}

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer");
  return n;
};
const fraction = (value: string) => {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError("must be a number in (0, 1]");
  return n;
};

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** `sluice eval`: accuracy, cost and savings of each tier and of the cascade on a labelled dataset. */
export function registerEval(program: Command): void {
  program
    .command("eval")
    .description(
      "evaluate the ticket classifier per tier and as a cascade; optionally calibrate the threshold",
    )
    .option("--dataset <file>", "labelled tickets (.jsonl or .csv); default: the simulator's dataset")
    .option("--cascade <name>", "cascade to evaluate", "simulator")
    .option("--limit <n>", "use only the first n tickets", positiveInt)
    .option("--seed <n>", "simulator seed (dataset and answers)", positiveInt, 42)
    .option("--concurrency <n>", "tickets evaluated at once", positiveInt, 8)
    .option("--calibrate", "find and save the cheapest confidence threshold meeting --target")
    .option("--target <fraction>", "accuracy to keep, as a fraction of the top tier's", fraction, 0.97)
    .option("--json", "print machine-readable output")
    .addHelpText(
      "after",
      "\nExamples:\n  $ sluice eval --limit 200\n  $ sluice eval --calibrate --target 0.97 --json",
    )
    .action(async (options: EvalOptions) => {
      const config = loadConfig();
      const tickets = (
        options.dataset ? readLabelledTickets(options.dataset) : ticketDataset(options.seed)
      ).slice(0, options.limit);
      if (tickets.length === 0) throw new CliFailure("invalid_dataset", "the dataset has no tickets");
      const simulator = evalNeedsSimulator(config) ? await startSimulator({ seed: options.seed }) : undefined;
      try {
        const report = await evaluateClassifier(config, tickets, {
          cascade: options.cascade,
          concurrency: options.concurrency,
          calibrate: options.calibrate,
          target: options.target,
          simulatorUrl: simulator?.url,
        });
        const { calibration, arms, savedTo } = report;
        if (calibration === null) {
          throw new CliFailure(
            "calibration_failed",
            `no threshold reaches ${options.target} of the top tier's accuracy`,
          );
        }
        if (options.json) {
          printJson({
            cascade: report.cascade,
            items: report.items,
            arms,
            ...(calibration ? { calibration, savedTo } : {}),
          });
          return;
        }
        printColumns([
          ["arm", "accuracy", "cost $", "vs top", "escalated", "saved $", "p50 latency"],
          ...arms.map((a) => [
            a.arm,
            pct(a.accuracy),
            formatMicros(a.costMicros),
            pct(a.costVsTop),
            a.escalationRate === null ? "-" : pct(a.escalationRate),
            formatMicros(a.savedMicros),
            `${a.latencyP50Ms.toFixed(1)} ms`,
          ]),
        ]);
        if (calibration) {
          process.stdout.write(
            `\ncalibrated ${report.cascade}: threshold ${calibration.threshold} keeps ${pct(calibration.result.accuracy / calibration.topAccuracy)} of the top tier's accuracy at ${pct(calibration.result.costVsTop)} of its cost; saved to ${savedTo}\n`,
          );
        }
      } finally {
        await simulator?.close();
      }
    });
}
