import { claimDeadLetterAlert, countDeadJobsSince, type Db, type JobQueue } from "@sluice/db";
import type { Clock } from "../limits/clock.ts";
import { systemClock } from "../limits/clock.ts";
import { type JobCatalog, jobPriorities } from "./jobCatalog.ts";
import { newJobId } from "./jobIds.ts";
import { enqueueRows } from "./jobWebhooks.ts";

/** When dead letters pile up, and where to say so. */
export interface DeadLetterAlertSettings {
  threshold: number;
  windowSeconds: number;
  webhookUrl: string | undefined;
}

/** What an alert says. */
export interface DeadLetterAlert {
  windowStart: Date;
  windowSeconds: number;
  deadCount: number;
  threshold: number;
}

/**
 * Checks, after a job dies, whether dead letters in the current window reached the threshold;
 * the first process to notice in a window raises the alert (log line and metric through
 * `onAlert`, plus a `webhook.deliver` job to the alert webhook when one is configured).
 */
export function createDeadLetterAlerter(deps: {
  db: Db;
  queue: JobQueue;
  catalog: JobCatalog;
  settings: DeadLetterAlertSettings;
  onAlert: (alert: DeadLetterAlert) => void;
  clock?: Clock;
}) {
  const clock = deps.clock ?? systemClock;
  const windowMs = deps.settings.windowSeconds * 1000;
  let alerted = -1;
  let checking: Promise<void> | undefined;

  async function check(): Promise<void> {
    const start = Math.floor(clock.now() / windowMs) * windowMs;
    if (alerted === start) return;
    const deadCount = await countDeadJobsSince(deps.db, new Date(start));
    if (deadCount < deps.settings.threshold) return;
    const windowStart = new Date(start);
    if (!(await claimDeadLetterAlert(deps.db, windowStart, deadCount))) {
      alerted = start;
      return;
    }
    alerted = start;
    const alert = {
      windowStart,
      windowSeconds: deps.settings.windowSeconds,
      deadCount,
      threshold: deps.settings.threshold,
    };
    deps.onAlert(alert);
    const spec = deps.catalog.get("webhook.deliver");
    if (deps.settings.webhookUrl && spec) {
      await deps.db.transaction().execute((tx) =>
        enqueueRows(tx, deps.queue, [
          {
            id: newJobId(),
            tenantId: null,
            kind: spec.kind,
            queue: spec.kind,
            priority: jobPriorities.high,
            payload: JSON.stringify({
              url: deps.settings.webhookUrl,
              event: "dead_letters.threshold",
              body: { alert: { ...alert, windowStart: windowStart.toISOString() } },
            }),
            maxAttempts: spec.retryLimit + 1,
          },
        ]),
      );
    }
  }

  return {
    /** Runs one check at a time; a check requested meanwhile joins it. */
    check(): Promise<void> {
      checking ??= check().finally(() => {
        checking = undefined;
      });
      return checking;
    },
  };
}
