import type { JobScope, JobService, PublicJob } from "@sluice/core";

/** Polls a job until it reaches one of `statuses`; fails naming the status it is stuck in. */
export async function untilStatus(
  jobs: JobService,
  scope: JobScope,
  id: string,
  statuses: PublicJob["status"][],
  timeoutMs: number,
): Promise<PublicJob> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await jobs.get(scope, id);
    if (statuses.includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} is ${job.status}, expected ${statuses.join("|")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
