import type { JobScope, JobService, PublicJob } from "@sluice/core";
import { vi } from "vitest";

/** Polls a job until it reaches one of `statuses`; fails naming the status it is stuck in. */
export async function untilStatus(
  jobs: JobService,
  scope: JobScope,
  id: string,
  statuses: PublicJob["status"][],
  timeoutMs: number,
): Promise<PublicJob> {
  let last: PublicJob | undefined;
  const reached = async () => {
    last = await jobs.get(scope, id);
    return statuses.includes(last.status) ? last : undefined;
  };
  return vi.waitUntil(reached, { timeout: timeoutMs, interval: 50 }).catch((error: unknown) => {
    if (!String(error).includes("Timed out")) throw error;
    throw new Error(`job ${id} is ${last?.status ?? "unread"}, expected ${statuses.join("|")}`);
  });
}
