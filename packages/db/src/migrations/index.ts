import type { Migration } from "kysely/migration";
import * as tenantsAndApiKeys from "./20261124T120000_tenantsAndApiKeys.ts";
import * as llmCacheAndCalls from "./20261124T130000_llmCacheAndCalls.ts";
import * as ticketsAndCascades from "./20261124T140000_ticketsAndCascades.ts";
import * as limitsAndSpend from "./20261124T150000_limitsAndSpend.ts";
import * as jobs from "./20261201T090000_jobs.ts";
import * as batches from "./20261201T110000_batches.ts";
import * as budgetLeases from "./20261201T130000_budgetLeases.ts";
import * as jobEventsKeys from "./20261201T140000_jobEventsKeys.ts";
import * as batchProviderCounts from "./20261201T160000_batchProviderCounts.ts";
import * as filesAndOpenAiBatches from "./20261207T210000_filesAndOpenAiBatches.ts";
import * as batchRetriedCount from "./20261207T220000_batchRetriedCount.ts";
import * as filesUploadingIndex from "./20261207T230000_filesUploadingIndex.ts";
import * as usageDailyAndRetention from "./20261208T010000_usageDailyAndRetention.ts";
import * as batchSpend from "./20261208T020000_batchSpend.ts";
import * as jobKeys from "./20261208T020100_jobKeys.ts";
import * as batchKeys from "./20261208T020200_batchKeys.ts";
import * as budgetPeriods from "./20261208T030000_budgetPeriods.ts";
import * as virtualKeys from "./20261208T040000_virtualKeys.ts";

/** Every migration, keyed by its timestamped name; names sort in the order they apply. */
export const migrations: Record<string, Migration> = {
  "20261124T120000_tenantsAndApiKeys": tenantsAndApiKeys,
  "20261124T130000_llmCacheAndCalls": llmCacheAndCalls,
  "20261124T140000_ticketsAndCascades": ticketsAndCascades,
  "20261124T150000_limitsAndSpend": limitsAndSpend,
  "20261201T090000_jobs": jobs,
  "20261201T110000_batches": batches,
  "20261201T130000_budgetLeases": budgetLeases,
  "20261201T140000_jobEventsKeys": jobEventsKeys,
  "20261201T160000_batchProviderCounts": batchProviderCounts,
  "20261207T210000_filesAndOpenAiBatches": filesAndOpenAiBatches,
  "20261207T220000_batchRetriedCount": batchRetriedCount,
  "20261207T230000_filesUploadingIndex": filesUploadingIndex,
  "20261208T010000_usageDailyAndRetention": usageDailyAndRetention,
  "20261208T020000_batchSpend": batchSpend,
  "20261208T020100_jobKeys": jobKeys,
  "20261208T020200_batchKeys": batchKeys,
  "20261208T030000_budgetPeriods": budgetPeriods,
  "20261208T040000_virtualKeys": virtualKeys,
};
