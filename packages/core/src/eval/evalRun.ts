import { createCascadeRegistry } from "../cascade/cascadeRegistry.ts";
import { cascadesFilePath, readCascadesFile, writeCascadeToFile } from "../config/cascadesFile.ts";
import type { SluiceConfig } from "../config/configSchema.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import { createModelClient } from "../llm/modelClient.ts";
import { createModelRegistry } from "../models/modelRegistry.ts";
import type { ModelSpecInput } from "../models/modelSpec.ts";
import { createProviderRegistry } from "../providers/providerRegistry.ts";
import { type ArmResult, type Calibration, calibrateThreshold, summariseArms } from "./classifierEval.ts";
import { collectTierRecords, type LabelledTicket } from "./tierRecords.ts";

/** What an evaluation of the ticket classifier found, and where a calibrated threshold went. */
export interface EvalReport {
  cascade: string;
  items: number;
  arms: ArmResult[];
  /** The fitted threshold; `null` when calibration was asked for and no threshold reached the target. */
  calibration?: Calibration | null;
  /** The cascades file the calibrated threshold was written to. */
  savedTo?: string;
}

/** True when the configuration names no provider, so an evaluation needs a simulator of its own. */
export function evalNeedsSimulator(config: SluiceConfig): boolean {
  return (
    !config.providers.simulatorUrl && !config.providers.openai.apiKey && !config.providers.anthropic.apiKey
  );
}

/**
 * Evaluates a cascade on labelled tickets: each tier alone and the cascade at its threshold. With
 * `calibrate`, the cheapest threshold keeping `target` of the top tier's accuracy is fitted and
 * saved to the cascades file; when none reaches it, nothing is saved and `calibration` is `null`.
 */
export async function evaluateClassifier(
  config: SluiceConfig,
  tickets: LabelledTicket[],
  options: {
    cascade: string;
    concurrency: number;
    calibrate?: boolean | undefined;
    target: number;
    /** Answers from this simulator instead of the configured providers. */
    simulatorUrl?: string | undefined;
  },
): Promise<EvalReport> {
  if (tickets.length === 0) throw new SluiceError("validation_error", "the dataset has no tickets");
  const registry = createModelRegistry(config.models as ModelSpecInput[]);
  const cascadesFile = cascadesFilePath(config.home);
  const cascades = createCascadeRegistry(registry, [
    ...config.cascades,
    ...readCascadesFile(cascadesFile),
  ] as never);
  const cascade = cascades.get(options.cascade);
  const providers = createProviderRegistry({
    ...config.providers,
    simulatorUrl: options.simulatorUrl ?? config.providers.simulatorUrl,
  });
  const models = createModelClient({ registry, providers });
  const records = await collectTierRecords(models, cascade, tickets, { concurrency: options.concurrency });
  const calibration = options.calibrate
    ? (calibrateThreshold(cascade, records, options.target) ?? null)
    : undefined;
  const threshold = calibration?.threshold ?? cascade.confidenceThreshold;
  const report: EvalReport = {
    cascade: cascade.name,
    items: tickets.length,
    arms: summariseArms(cascade, records, threshold),
    ...(calibration === undefined ? {} : { calibration }),
  };
  if (!calibration) return report;
  writeCascadeToFile(cascadesFile, { ...cascade, confidenceThreshold: threshold });
  return { ...report, savedTo: cascadesFile };
}
