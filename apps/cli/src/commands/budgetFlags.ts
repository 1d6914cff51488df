import type { Command } from "commander";
import { dollars, UNLIMITED } from "./options.ts";

/** A key's budget flags, as Commander parses them. */
export interface KeyBudgetOptions {
  budget?: number | typeof UNLIMITED;
  monthlyBudget?: number | typeof UNLIMITED;
}

/** Adds `--budget` and `--monthly-budget` (a key's own, in dollars or `none`) to a key command. */
export function keyBudgetFlags(command: Command): Command {
  return command
    .option(
      "--budget <usd>",
      "the key's own daily budget in dollars (or none), on top of its tenant's",
      dollars,
    )
    .option("--monthly-budget <usd>", "the key's own monthly budget in dollars (or none)", dollars);
}

/** The key budgets the flags set, as the admin API takes them (absent flags: unchanged). */
export function keyBudgets(o: KeyBudgetOptions): {
  dailyBudgetMicros?: number | null;
  monthlyBudgetMicros?: number | null;
} {
  const micros = (v: number | typeof UNLIMITED) => (v === UNLIMITED ? null : v);
  return {
    ...(o.budget === undefined ? {} : { dailyBudgetMicros: micros(o.budget) }),
    ...(o.monthlyBudget === undefined ? {} : { monthlyBudgetMicros: micros(o.monthlyBudget) }),
  };
}
