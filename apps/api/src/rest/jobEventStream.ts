import { type Principal, publicJobEvent, SluiceError, terminalEventTypes } from "@sluice/core";
import { type JobEvent, listJobEvents } from "@sluice/db";
import type { Request, Response } from "express";
import { errorBody, SHUTTING_DOWN, toPublicError } from "../errors/publicError.ts";
import { requestIdOf } from "../http/requestId.ts";
import type { ApiServices } from "../services.ts";

// The hub hands the same event object to every subscriber of a job: its SSE frame is built once.
const frames = new WeakMap<JobEvent, string>();

function frameOf(event: JobEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    const data = publicJobEvent(event);
    frame = `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`;
    frames.set(event, frame);
  }
  return frame;
}

/** Where a reconnecting client resumes: `Last-Event-ID`, else `?after=`, else the beginning. */
function resumeFrom(req: Request): number {
  const raw = req.header("last-event-id") ?? (typeof req.query.after === "string" ? req.query.after : "0");
  const after = Number(raw || 0);
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new SluiceError("validation_error", "invalid Last-Event-ID: must be an event id", {
      details: { issues: [{ path: "Last-Event-ID", message: "must be an event id" }] },
    });
  }
  return after;
}

/**
 * `GET /v1/jobs/:id/events`: the job's history, then its live events, as Server-Sent Events
 * (`id`, `event` = type, `data` = the event), ending after the final one. Standard EventSource
 * clients resume with `Last-Event-ID` and get the rest exactly once.
 */
export async function streamJobEvents(
  services: ApiServices,
  principal: Principal,
  req: Request,
  res: Response,
): Promise<void> {
  const jobId = req.params.id as string;
  const after = resumeFrom(req);
  await services.jobs.get({ tenantId: principal.tenant.id }, jobId);
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-request-id": requestIdOf(req),
  });
  let last = after;
  let ended = false;
  const pending: JobEvent[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const unsubscribe = services.jobEvents.subscribe(jobId, after, (events) => {
    pending.push(...events);
    notify();
  });
  const stop = () => {
    ended = true;
    notify();
  };
  res.once("close", stop);
  services.shutdown?.addEventListener("abort", stop, { once: true });
  const send = (event: JobEvent): boolean => {
    if (event.id <= last) return false;
    last = event.id;
    res.write(frameOf(event));
    return terminalEventTypes.includes(event.type);
  };
  try {
    for (;;) {
      const page = await listJobEvents(services.db, jobId, last, 1000);
      for (const event of page) if (send(event)) return;
      if (page.length < 1000) break;
    }
    while (!ended) {
      const event = pending.shift();
      if (event) {
        if (send(event)) return;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (services.shutdown?.aborted && !res.destroyed) {
      res.write(`event: error\ndata: ${JSON.stringify(errorBody(SHUTTING_DOWN, requestIdOf(req)))}\n\n`);
    }
  } catch (error) {
    if (!res.destroyed)
      res.write(
        `event: error\ndata: ${JSON.stringify(errorBody(toPublicError(error), requestIdOf(req)))}\n\n`,
      );
  } finally {
    unsubscribe();
    services.shutdown?.removeEventListener("abort", stop);
    res.off("close", stop);
    if (!res.destroyed) res.end();
  }
}
