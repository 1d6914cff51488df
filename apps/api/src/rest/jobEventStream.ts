import { type Principal, publicJobEvent, SluiceError } from "@sluice/core";
import type { Request, Response } from "express";
import { errorBody, publicError, SHUTTING_DOWN, toPublicError } from "../errors/publicError.ts";
import { requestIdOf } from "../http/requestId.ts";
import type { ApiServices } from "../services.ts";
import { followJob, memoOnEvent } from "../streams/followJob.ts";
import { streamExpiredMessage } from "../streams/streamGate.ts";

// The hub hands the same event object to every subscriber of a job: its SSE frame is built once.
const frameOf = memoOnEvent(
  (event) => `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(publicJobEvent(event))}\n\n`,
);

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
  const pass = services.streamGate.open(principal.tenant.id);
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-request-id": requestIdOf(req),
  });
  // A client resuming after the latest event gets nothing to write for a while: send the headers now.
  res.flushHeaders();
  const stop = new AbortController();
  const onEnd = () => stop.abort();
  res.once("close", onEnd);
  services.shutdown?.addEventListener("abort", onEnd, { once: true });
  pass.expired.addEventListener("abort", onEnd, { once: true });
  try {
    for await (const event of followJob(
      { db: services.db, hub: services.jobEvents },
      jobId,
      after,
      stop.signal,
    )) {
      res.write(frameOf(event));
    }
    if (services.shutdown?.aborted && !res.destroyed) {
      res.write(`event: error\ndata: ${JSON.stringify(errorBody(SHUTTING_DOWN, requestIdOf(req)))}\n\n`);
    } else if (pass.expired.aborted && !res.destroyed) {
      const expired = publicError("timeout", streamExpiredMessage(services.streamGate.maxSeconds));
      res.write(`event: error\ndata: ${JSON.stringify(errorBody(expired, requestIdOf(req)))}\n\n`);
    }
  } catch (error) {
    if (!res.destroyed)
      res.write(
        `event: error\ndata: ${JSON.stringify(errorBody(toPublicError(error), requestIdOf(req)))}\n\n`,
      );
  } finally {
    pass.release();
    pass.expired.removeEventListener("abort", onEnd);
    services.shutdown?.removeEventListener("abort", onEnd);
    res.off("close", onEnd);
    if (!res.destroyed) res.end();
  }
}
