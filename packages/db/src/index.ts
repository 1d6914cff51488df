export { describeServer, parseDatabaseUrl, redactDatabaseUrl, withDatabase } from "./connectionUrl.ts";
export { type CreateDbOptions, createDb, type Db } from "./createDb.ts";
export {
  type ConstraintViolationKind,
  DatabaseError,
  type DatabaseErrorCode,
  DbConstraintError,
  isConstraintError,
  isDatabaseUnavailable,
  translatePgError,
  withConstraintErrors,
} from "./errors.ts";
export {
  type MigrateOutcome,
  type MigrationStatus,
  migrateDown,
  migrateToLatest,
  migrateUp,
  migrationStatus,
  migrationsFingerprint,
} from "./migrator.ts";
export { type DataDirState, inspectDataDir } from "./postgres/dataDirState.ts";
export {
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
  startEmbeddedPostgres,
} from "./postgres/embeddedPostgres.ts";
export { EmbeddedAccessError } from "./postgres/postgresUserAccess.ts";
export {
  checkReachable,
  type ResolveDatabaseOptions,
  type ResolvedDatabase,
  resolveDatabase,
} from "./postgres/resolveDatabase.ts";
export { type BossDatabase, bossDatabase } from "./queue/bossDatabase.ts";
export {
  BOSS_SCHEMA,
  type FetchedJob,
  installQueueSchema,
  JOBS_CHANNEL,
  type JobAttempt,
  type JobQueue,
  type JobQueueOptions,
  type QueueDefinition,
  type QueueInsert,
  type QueueJobState,
  startJobQueue,
} from "./queue/jobQueue.ts";
export { createPgListener, type PgListener, type PgListenerOptions } from "./queue/pgListener.ts";
export { analyzeQueueTable, staleQueueTables } from "./queue/queueStatistics.ts";
export { assignedTransactionId, transactionStatus } from "./queue/transactionOutcome.ts";
export * from "./repositories/apiKeyLookup.ts";
export * from "./repositories/apiKeyRateLimits.ts";
export * from "./repositories/apiKeys.ts";
export * from "./repositories/batches.ts";
export * from "./repositories/batchRequests.ts";
export * from "./repositories/budgetLeases.ts";
export * from "./repositories/cascadeRuns.ts";
export * from "./repositories/databaseServer.ts";
export * from "./repositories/deadLetters.ts";
export * from "./repositories/files.ts";
export * from "./repositories/jobEvents.ts";
export * from "./repositories/jobs.ts";
export * from "./repositories/limits.ts";
export * from "./repositories/llmCache.ts";
export * from "./repositories/llmCalls.ts";
export * from "./repositories/retention.ts";
export * from "./repositories/spendReport.ts";
export * from "./repositories/tenants.ts";
export * from "./repositories/tickets.ts";
export * from "./repositories/usageRollup.ts";
export * from "./repositories/usageStats.ts";
export * from "./repositories/webhookDeliveries.ts";
export type * from "./schema.ts";
export { BATCH_STATUSES, FINAL_BATCH_STATUSES, isFinalBatchStatus } from "./schema.ts";
