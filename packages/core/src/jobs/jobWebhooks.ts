import { randomUUID } from "node:crypto";
import {
  type Db,
  findTenantById,
  insertJobEvents,
  insertJobs,
  type Job,
  type JobQueue,
  type NewJob,
} from "@sluice/db";
import { type JobCatalog, jobPriorities } from "./jobCatalog.ts";

/** The event name of a job that reached a terminal status. */
export function jobEventName(job: Pick<Job, "status">): string {
  return `job.${job.status}`;
}

/** Endpoints that want to hear about a job: its own webhook and its tenant's, once each. */
export async function webhookTargets(tx: Db, job: Job): Promise<string[]> {
  if (job.kind === "webhook.deliver") return [];
  const urls = new Set<string>();
  if (job.webhookUrl) urls.add(job.webhookUrl);
  if (job.tenantId) {
    const tenant = await findTenantById(tx, job.tenantId);
    if (tenant?.webhookUrl) urls.add(tenant.webhookUrl);
  }
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
  finished: Job[],
): Promise<void> {
  const spec = catalog.get("webhook.deliver");
  if (!spec) return;
  const rows: NewJob[] = [];
  for (const job of finished) {
    for (const url of await webhookTargets(tx, job)) {
      rows.push({
        id: randomUUID(),
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
  for (const job of inserted) byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job]);
  for (const [name, jobs] of byQueue) {
    await queue.insert(
      tx,
      name,
      jobs.map((j) => ({
        id: j.id,
        data: { kind: j.kind },
        priority: j.priority,
        ...(j.runAt.getTime() > Date.now() ? { startAfter: j.runAt } : {}),
      })),
    );
  }
  return inserted;
}
