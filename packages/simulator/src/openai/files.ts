import { parseMultipart } from "../multipart.ts";
import { sendError, sendJson } from "../providerErrors.ts";
import { type SimRequest, type SimState, storeOf } from "../simContext.ts";

/** A stored file. */
export interface SimFile {
  id: string;
  filename: string;
  purpose: string;
  createdAt: number;
  content: Buffer;
}

/** The files of a simulator. */
export function fileStore(state: SimState): Map<string, SimFile> {
  return storeOf<SimFile>(state, "openai.files");
}

/** Stores content as a new file (uploads and batch output). */
export function saveFile(state: SimState, filename: string, purpose: string, content: Buffer): SimFile {
  const file = { id: state.nextId("file"), filename, purpose, createdAt: state.clock.now(), content };
  fileStore(state).set(file.id, file);
  return file;
}

/** The `file` object of the API. */
export function fileObject(file: SimFile) {
  return {
    id: file.id,
    object: "file",
    bytes: file.content.length,
    created_at: Math.floor(file.createdAt / 1000),
    filename: file.filename,
    purpose: file.purpose,
    status: "processed",
    status_details: null,
  };
}

/** `POST /v1/files` (multipart upload). */
export function uploadFile(ctx: SimRequest) {
  const parts = parseMultipart(ctx.rawBody, String(ctx.req.headers["content-type"] ?? ""));
  const file = parts.find((p) => p.name === "file");
  const purpose = parts.find((p) => p.name === "purpose")?.data.toString("utf8");
  if (!file || !purpose)
    return sendError(ctx.res, "openai", 400, "'file' and 'purpose' are required", { param: "file" });
  sendJson(
    ctx.res,
    200,
    fileObject(saveFile(ctx.state, file.filename ?? "upload", purpose, Buffer.from(file.data))),
  );
}

/** `GET /v1/files/:id`. */
export function getFile(ctx: SimRequest) {
  const file = fileStore(ctx.state).get(ctx.params[0] ?? "");
  if (!file) return sendError(ctx.res, "openai", 404, `No such File object: ${ctx.params[0]}`);
  sendJson(ctx.res, 200, fileObject(file));
}

/** `GET /v1/files/:id/content`. */
export function getFileContent(ctx: SimRequest) {
  const file = fileStore(ctx.state).get(ctx.params[0] ?? "");
  if (!file) return sendError(ctx.res, "openai", 404, `No such File object: ${ctx.params[0]}`);
  ctx.res.writeHead(200, {
    "content-type": "application/octet-stream",
    "content-length": file.content.length,
  });
  ctx.res.end(file.content);
}
