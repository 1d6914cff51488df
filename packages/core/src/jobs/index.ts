export { jobCatalogFromConfig } from "./catalogFromConfig.ts";
export {
  createDeadLetterAlerter,
  type DeadLetterAlert,
  type DeadLetterAlertSettings,
} from "./deadLetterAlerts.ts";
export {
  createDeadLetterService,
  type DeadLetterService,
  deadLetterFilterSchema,
  MAX_REQUEUE,
  type RequeueOutcome,
  requeueJobs,
} from "./deadLetters.ts";
export {
  batchPollPayload,
  batchSubmitPayload,
  chatCompletePayload,
  classifyBatchPayload,
  classifyTicketPayload,
  createJobCatalog,
  type DefaultJobKind,
  deadLetterQueueOf,
  defaultJobKinds,
  embeddingsBatchPayload,
  type JobCatalog,
  type JobKindSpec,
  type JobPriority,
  jobKindOverrideSchema,
  jobPriorities,
  webhookDeliverPayload,
} from "./jobCatalog.ts";
export {
  type AttemptEnd,
  type AttemptJob,
  createJobLifecycle,
  failureOf,
  type JobLifecycle,
  type RunningAttempt,
} from "./jobLifecycle.ts";
export { principalForJob } from "./jobPrincipal.ts";
export {
  createJobService,
  type EnqueueInput,
  enqueueInputSchema,
  type JobOutcome,
  type JobScope,
  type JobService,
  jobListQuerySchema,
  jobReadScope,
  kindFor,
  MAX_JOBS_PER_ENQUEUE,
  type PublicJobKind,
  parseJobId,
} from "./jobService.ts";
export { tenantForJob } from "./jobTenant.ts";
export { enqueueJobWebhooks, enqueueRows, jobEventName, webhookTargets } from "./jobWebhooks.ts";
export {
  type PublicJob,
  type PublicJobEvent,
  priorityName,
  publicJob,
  publicJobEvent,
  terminalEventTypes,
  terminalStatuses,
} from "./publicJob.ts";
export {
  DEFAULT_TOLERANCE_SECONDS,
  generateWebhookSecret,
  SIGNATURE_HEADER,
  type SignatureProblem,
  signWebhook,
  verifyWebhook,
} from "./webhookSignature.ts";
export { type ChatJobResult, runChatJob } from "./work/chatJob.ts";
export { type EmbeddingsJobResult, runEmbeddingsJob } from "./work/embeddingsJob.ts";
export { type ClassifyBatchResult, runClassifyBatchJob, runClassifyJob } from "./work/ticketJobs.ts";
export { buildWebhook, type SignedWebhook } from "./work/webhookBody.ts";
export {
  deliverWebhook,
  type WebhookDeliveryAttempt,
  type WebhookDeliveryPayload,
  type WebhookTransport,
} from "./work/webhookDelivery.ts";
export { createWriteBatcher, type WriteBatcher } from "./writeBatcher.ts";
