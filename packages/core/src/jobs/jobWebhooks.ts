import {
  type Db,
  type FinishedJob,
  insertJobEvents,
  insertJobs,
  type Job,
  type JobQueue,
  type NewJob,
  tenantWebhookUrls,
} from "@sluice/db";
import { type JobCatalog, jobPriorities } from "./jobCatalog.ts";
import { newJobId } from "./jobIds.ts";

/** The event name of a job that reached a terminal status. */
export function jobEventName(job: Pick<FinishedJob, "status">): string {
  return `job.${job.status}`;
}

/** Endpoints that want to hear about a job: its own webhook and its tenant's (`tenantUrls`), once each. */
export function webhookTargets(job: FinishedJob, tenantUrls: Map<string, string | null>): string[] {
  if (job.kind === "webhook.deliver") return [];
  const urls = new Set<string>();
  if (job.webhookUrl) urls.add(job.webhookUrl);
  const tenantUrl = job.tenantId ? tenantUrls.get(job.tenantId) : null;
  if (tenantUrl) urls.add(tenantUrl);
  return [...urls];
}

/**
 * Queues `webhook.deliver` jobs for jobs that just finished, inside the transaction that finished
 * them (a finished job and its notification commit together, or neither does).
 */
export async function enqueueJobWebhooks(
  tx: Db,
  queue: JobQueue,
  catalog: JobCatalog,
  finished: FinishedJob[],
): Promise<void> {
  const spec = catalog.get("webhook.deliver");
  if (!spec) return;
  // Tenants' endpoints come with the finished jobs where the caller read them; else they are read here.
  const unknown = finished.filter((j) => j.tenantId && j.tenantWebhookUrl === undefined);
  const tenantUrls = await tenantWebhookUrls(tx, [...new Set(unknown.map((j) => j.tenantId!))]);
  for (const j of finished)
    if (j.tenantId && j.tenantWebhookUrl !== undefined) tenantUrls.set(j.tenantId, j.tenantWebhookUrl);
  const rows: NewJob[] = [];
  for (const job of finished) {
    for (const url of webhookTargets(job, tenantUrls)) {
      rows.push({
        id: newJobId(),
        tenantId: job.tenantId,
        kind: spec.kind,
        queue: spec.kind,
        priority: jobPriorities[spec.priority],
        payload: JSON.stringify({ url, event: jobEventName(job), jobId: job.id }),
        maxAttempts: spec.retryLimit + 1,
      });
    }
  }
  await enqueueRows(tx, queue, rows);
}

/** Inserts mirror rows, their `queued` events and their pg-boss jobs, in the caller's transaction. */
export async function enqueueRows(tx: Db, queue: JobQueue, rows: NewJob[]): Promise<Job[]> {
  const inserted = await insertJobs(tx, rows);
  if (inserted.length === 0) return [];
  await insertJobEvents(
    tx,
    inserted.map((j) => ({
      jobId: j.id,
      tenantId: j.tenantId,
      type: "queued" as const,
      data: { kind: j.kind, priority: j.priority, runAt: j.runAt.toISOString() },
    })),
  );
  const byQueue = new Map<string, Job[]>();
  for (const job of inserted) {
    const list = byQueue.get(job.queue);
    if (list) list.push(job);
    else byQueue.set(job.queue, [job]);
  }
  for (const [name, jobs] of byQueue) {
    await queue.insert(
      tx,
      name,
      jobs.map((j) => ({
        id: j.id,
        // The queue's copy carries what a worker needs to run the job without reading the mirror.
        data: { kind: j.kind, tenantId: j.tenantId, payload: j.payload },
        priority: j.priority,
        ...(j.runAt.getTime() > Date.now() ? { startAfter: j.runAt } : {}),
      })),
    );
  }
  return inserted;
}
