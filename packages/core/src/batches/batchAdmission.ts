import {
  type Batch,
  type Db,
  existingCustomIds,
  insertBatchRequests,
  type NewBatchRequest,
  updateBatch,
} from "@sluice/db";
import { SluiceError } from "../errors/sluiceError.ts";
import {
  type BatchInputSource,
  type BatchLineIssue,
  inputLines,
  MAX_LINE_BYTES,
  parseBatchLine,
  unsupportedParts,
} from "./batchInput.ts";
import { type BatchRuntime, resolveBatchTarget } from "./batchTarget.ts";

/** Most line issues one rejected input reports (the count says how many there were). */
export const MAX_REPORTED_ISSUES = 100;
/** Bad lines after which an input is no longer read. */
const MAX_ISSUES_READ = 1000;
/** What a provider's line adds around a request body (`{"custom_id":…,"method":"POST","url":…,"body":}`). */
const LINE_ENVELOPE_BYTES = 80;
/** Rows inserted per statement while adding requests. */
const INSERT_CHUNK = 1000;

function rejected(issues: BatchLineIssue[], count: number): SluiceError {
  const first = issues[0]!;
  const more = count > 1 ? `, and ${count - 1} more (see details.issues)` : "";
  return new SluiceError(
    "validation_error",
    `Invalid batch requests: line ${first.line}: ${first.path}: ${first.message}${more}. Nothing was added.`,
    {
      details: {
        issues: issues.map((i) => ({ ...i, path: `line ${i.line}: ${i.path}` })),
        issueCount: count,
      },
    },
  );
}

/**
 * Validates and stores a draft's lines inside `tx`; throws (so the transaction rolls back) on any
 * bad line, reporting each with its number. Returns how many were added.
 */
export async function addBatchLines(
  tx: Db,
  runtime: BatchRuntime,
  batch: Batch,
  source: BatchInputSource,
): Promise<number> {
  const target = resolveBatchTarget(runtime, batch.model);
  const issues: BatchLineIssue[] = [];
  let issueCount = 0;
  const report = (list: BatchLineIssue[]) => {
    issueCount += list.length;
    for (const i of list) if (issues.length < MAX_REPORTED_ISSUES) issues.push(i);
  };
  const seen = new Set<string>();
  let count = batch.requestCount;
  let bytes = batch.requestBytes;
  let added = 0;
  let chunk: (NewBatchRequest & { line: number })[] = [];
  const flush = async () => {
    const existing = await existingCustomIds(
      tx,
      batch.id,
      chunk.map((r) => r.customId),
    );
    for (const r of chunk)
      if (existing.has(r.customId))
        report([{ line: r.line, path: "custom_id", message: `"${r.customId}" is already in this batch` }]);
    if (issueCount === 0) await insertBatchRequests(tx, batch.id, chunk);
    chunk = [];
  };
  let rawBytes = 0;
  for await (const { line, value, bytes: lineBytes } of inputLines(source)) {
    rawBytes += lineBytes;
    // However bad the input, no more of it is read than a full batch could hold.
    if (rawBytes > target.limits.maxBytes * 2 || issueCount >= MAX_ISSUES_READ) {
      report([
        {
          line,
          path: "(line)",
          message: "the input is too large or has too many bad lines; reading stopped here",
        },
      ]);
      break;
    }
    if (value === undefined) {
      report([{ line, path: "(line)", message: `is longer than ${MAX_LINE_BYTES} bytes` }]);
      break;
    }
    const parsed = parseBatchLine(value, line, batch.model);
    if (!parsed.ok) {
      report(parsed.issues);
      continue;
    }
    const refusedParts = unsupportedParts(target, parsed.line.body);
    if (refusedParts.length > 0) {
      report(refusedParts.map((issue) => ({ line, path: `body.${issue.path}`, message: issue.message })));
      continue;
    }
    const { customId, json } = parsed.line;
    if (seen.has(customId)) {
      report([{ line, path: "custom_id", message: `"${customId}" appears more than once` }]);
      continue;
    }
    seen.add(customId);
    count++;
    // As the provider receives it: the body plus its line's envelope (custom id, method, url).
    bytes += Buffer.byteLength(json) + Buffer.byteLength(customId) + LINE_ENVELOPE_BYTES;
    if (count > target.limits.maxRequests || bytes > target.limits.maxBytes) {
      const what =
        count > target.limits.maxRequests
          ? `at most ${target.limits.maxRequests} requests`
          : `at most ${target.limits.maxBytes} bytes of requests`;
      report([{ line, path: "(line)", message: `the batch would exceed its provider's limit: ${what}` }]);
      // Nothing past the limit can be added: stop reading.
      break;
    }
    chunk.push({ line, customId, seq: count - 1, body: json });
    added++;
    if (chunk.length >= INSERT_CHUNK) await flush();
  }
  if (chunk.length > 0) await flush();
  if (issueCount > 0) throw rejected(issues, issueCount);
  if (added === 0)
    throw new SluiceError("validation_error", "Invalid batch requests: the input has no requests.");
  await updateBatch(tx, batch.id, { requestCount: count, requestBytes: bytes });
  return added;
}
