export * from "./admin/index.ts";
export * from "./anthropicApi/index.ts";
export {
  authenticate,
  createApiKey,
  generateApiKey,
  hashApiKey,
  type Principal,
  requireAdmin,
  rotateApiKey,
} from "./auth/apiKeys.ts";
export { type Authenticator, createAuthenticator } from "./auth/authenticator.ts";
export {
  apiKeyPolicyShape,
  MAX_KEY_METADATA_BYTES,
  MAX_ROTATION_GRACE_SECONDS,
  type RotateApiKeyInput,
  rotateApiKeyInputSchema,
  type UpdateApiKeyInput,
  updateApiKeyInputSchema,
} from "./auth/keyAdmin.ts";
export {
  type ApiKeyPolicy,
  assertModelAllowed,
  endUserOf,
  MAX_END_USER_LENGTH,
  modelAllowed,
} from "./auth/keyPolicy.ts";
export { ensureStackKeys, type StackKeys } from "./auth/stackKeys.ts";
export * from "./batches/index.ts";
export * from "./cascade/index.ts";
export { type ChatCallContext, type ChatService, createChatService } from "./chat/chatService.ts";
export {
  type ChatStreamFinish,
  type GuardedStream,
  type GuardedStreamEvent,
  guardedStream,
} from "./chat/guardedStream.ts";
export { cascadesFilePath, readCascadesFile, writeCascadeToFile } from "./config/cascadesFile.ts";
export { ConfigError, parseConfig, type SluiceConfig } from "./config/configSchema.ts";
export { loadConfig } from "./config/env.ts";
export {
  type ErrorCode,
  errorCodes,
  isSluiceError,
  SluiceError,
  type SluiceErrorOptions,
} from "./errors/sluiceError.ts";
export {
  type ArmResult,
  type Calibration,
  calibrateThreshold,
  cascadePath,
  summariseArms,
} from "./eval/classifierEval.ts";
export { type EvalReport, evalNeedsSimulator, evaluateClassifier } from "./eval/evalRun.ts";
export { collectTierRecords, type LabelledTicket, type TierRecord } from "./eval/tierRecords.ts";
export * from "./jobs/index.ts";
export {
  BUDGET_ALERT_EVENT,
  type BudgetAlert,
  createBudgetAlerter,
  describeBudgetAlert,
} from "./limits/budgetAlerts.ts";
export {
  type BudgetAlerts,
  type BudgetGuard,
  type BudgetReservation,
  createBudgetGuard,
} from "./limits/budgetGuard.ts";
export { budgetLabels, type ScopedBudget } from "./limits/budgetScopes.ts";
export { type Clock, scheduleOn, sleepOn, systemClock } from "./limits/clock.ts";
export { admittedRuns, gatedModels, type RunAdmission } from "./limits/gatedModels.ts";
export {
  admitChat,
  type Guards,
  guardedComplete,
  guardedEmbed,
  maxChatCostMicros,
} from "./limits/guardedCall.ts";
export {
  createRateLimiter,
  type KeyRateLimits,
  type RateLimiter,
  type RateLimitState,
  type RateLimitSubject,
} from "./limits/rateLimiter.ts";
export { type SpendPrincipal, spendPrincipalOf, tenantPrincipal } from "./limits/spendPrincipal.ts";
export { type CallLogWriter, type CallLogWriterOptions, createCallLogWriter } from "./llm/callLogWriter.ts";
export { toProviderRequest } from "./llm/chatRequestMapping.ts";
export { type Completion, complete } from "./llm/completion.ts";
export { createLlmRuntime, type LlmRuntime } from "./llm/llmRuntime.ts";
export {
  type CallRecord,
  type ChatOutcome,
  createModelClient,
  type EmbeddingsOutcome,
  type ModelCallContext,
  type ModelClient,
  type ModelClientDeps,
  type ModelStreamEvent,
  type ResilienceExecutor,
} from "./llm/modelClient.ts";
export { type CacheMode, createResponseCache, type ResponseCache } from "./llm/responseCache.ts";
export { costMicros, formatMicros, type TokenUsage } from "./models/cost.ts";
export { defaultModels } from "./models/defaultModels.ts";
export { createModelRegistry, type ModelRegistry } from "./models/modelRegistry.ts";
export {
  type ModelFamily,
  type ModelSpec,
  type ModelSpecInput,
  modelSpecSchema,
} from "./models/modelSpec.ts";
export * from "./openaiBatches/index.ts";
export * from "./outbound/index.ts";
export {
  type AnyPipeline,
  definePipeline,
  type ItemResult,
  type PipelineContext,
  type PipelineDefinition,
  type PipelineLogger,
  runPipeline,
  runPipelineMany,
} from "./pipelines/pipeline.ts";
export {
  type AnthropicBatchApiOptions,
  anthropicBatchLimits,
  createAnthropicBatchApi,
} from "./providers/anthropicBatchApi.ts";
export { createAnthropicProvider } from "./providers/anthropicProvider.ts";
export {
  PROVIDER_BATCH_STATUSES,
  type ProviderBatchApi,
  type ProviderBatchLimits,
  type ProviderBatchRequest,
  type ProviderBatchResult,
  type ProviderBatchState,
  type ProviderBatchStatus,
} from "./providers/batchApi.ts";
export {
  createOpenAiBatchApi,
  type OpenAiBatchApiOptions,
  openAiBatchLimits,
} from "./providers/openaiBatchApi.ts";
export { createOpenAiProvider } from "./providers/openaiProvider.ts";
export type {
  CallOptions,
  ChatStreamEvent,
  FinishReason,
  Provider,
  ProviderChatRequest,
  ProviderChatResult,
  ProviderContentPart,
  ProviderEmbeddingsRequest,
  ProviderEmbeddingsResult,
  ProviderImageSource,
  ProviderMessage,
  ProviderTool,
  ProviderToolCall,
  ProviderToolChoice,
  ResponseFormat,
  TokenLogprob,
  ToolCallDelta,
} from "./providers/provider.ts";
export { abortError, isAbort, retryAfterMsOf, toSluiceError } from "./providers/providerErrors.ts";
export { createProviderRegistry, type ProviderRegistry } from "./providers/providerRegistry.ts";
export {
  parseCsv,
  type RecordTextFormat,
  recordFormatOf,
  recordsOfText,
  type TextRecord,
} from "./records/recordText.ts";
export * from "./resilience/index.ts";
export * from "./responsesApi/index.ts";
export * from "./schemas/index.ts";
export {
  MAX_SPEND_DAYS,
  type SpendGroup,
  type SpendQuery,
  type SpendReport,
  spendQuerySchema,
  spendTenantOf,
} from "./stats/spendReport.ts";
export { createStatsService, type StatsService } from "./stats/statsService.ts";
export { type UsageStats, type UsageTotals, usageStats } from "./stats/usageStats.ts";
export { classifyRequest } from "./tickets/classifyPrompt.ts";
export { type ClassificationOutcome, classifyTicketText } from "./tickets/classifyTicketText.ts";
export {
  type ClassifiedTicket,
  classifiedTicketSchema,
  ticketClassifierPipeline,
} from "./tickets/ticketClassifier.ts";
export {
  type TicketClassification,
  type TicketInput,
  ticketCategories,
  ticketClassificationSchema,
  ticketInputSchema,
  ticketUrgencies,
} from "./tickets/ticketSchemas.ts";
export {
  classifyPendingTickets,
  classifyTicket,
  classifyTickets,
  createTickets,
  getTicket,
  listTickets,
  MAX_TICKETS_PER_CALL,
  ticketListQuerySchema,
  ticketStats,
} from "./tickets/ticketService.ts";
export {
  createTicketService,
  type TextClassification,
  type TicketCaller,
  type TicketService,
} from "./tickets/ticketUseCases.ts";
export * from "./tokens/index.ts";
