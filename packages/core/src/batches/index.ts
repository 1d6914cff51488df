export { bookBatchSpend, releaseTier, tierMaxCostMicros } from "./batchBudget.ts";
export {
  type BatchFailureVerdict,
  type BatchJobAttempt,
  type BatchJobDeps,
  type BatchJobLogger,
  judgeBatchFailure,
  runBatchJob,
  runBatchPollJob,
  runBatchSubmitJob,
} from "./batchGiveUp.ts";
export {
  type BatchInputSource,
  type BatchLine,
  type BatchLineIssue,
  customIdSchema,
  inputLines,
  parseBatchLine,
} from "./batchInput.ts";
export {
  abandonBatch,
  type BatchWorkDeps,
  pollBatch,
  pollLater,
  RESULT_CHUNK,
  submitBatch,
} from "./batchProcessor.ts";
export {
  type BatchScope,
  type BatchService,
  type BatchStats,
  batchListQuerySchema,
  batchPageQuerySchema,
  createBatchInputSchema,
  createBatchService,
  MAX_REPORTED_ISSUES,
} from "./batchService.ts";
export { type BatchRuntime, type BatchTarget, type BatchTier, resolveBatchTarget } from "./batchTarget.ts";
export { BATCH_WATCH_POLL_MS, isFinalBatchStatus, watchBatch } from "./batchWatch.ts";
export {
  type BatchAttempt,
  type PublicBatch,
  type PublicBatchRequest,
  type PublicBatchResponse,
  publicBatch,
  publicBatchRequest,
  publicBatchResponse,
} from "./publicBatch.ts";
