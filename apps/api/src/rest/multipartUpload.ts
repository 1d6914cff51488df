import type { FileUpload } from "@sluice/core";
import { SluiceError } from "@sluice/core";
import busboy from "busboy";
import type { Request } from "express";

/** Text fields a form may carry beside its file, and their size (OpenAI's take a few short ones). */
const FIELD_LIMITS = { fields: 16, fieldSize: 64 * 1024, files: 1, parts: 32 };

function unreadable(error: unknown): SluiceError {
  return new SluiceError(
    "validation_error",
    `Invalid file upload: the form could not be read: ${(error as Error).message}.`,
    { details: { issues: [{ path: "(body)", message: "is not a readable multipart/form-data body" }] } },
  );
}

/** The file part's bytes; a form that breaks off midway is the caller's fault, not a server error. */
async function* readPart(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) yield chunk;
  } catch (error) {
    throw unreadable(error);
  }
}

/**
 * A `multipart/form-data` request as an upload: the `file` part as a stream (read by whoever stores
 * it, so nothing is buffered whole), the other fields once the form has been read.
 */
export function multipartUpload(req: Request): Promise<FileUpload> {
  let parser: busboy.Busboy;
  try {
    // Form clients (undici's FormData among them) send file names as raw UTF-8.
    parser = busboy({ headers: req.headers, limits: FIELD_LIMITS, defParamCharset: "utf8" });
  } catch {
    throw new SluiceError(
      "validation_error",
      "Invalid file upload: send multipart/form-data with file and purpose.",
      {
        details: {
          issues: [{ path: "content-type", message: "must be multipart/form-data with a boundary" }],
        },
      },
    );
  }
  const fields: Record<string, string> = {};
  const done = new Promise<Record<string, string>>((resolve, reject) => {
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("close", () => resolve(fields));
    parser.on("error", (error) => reject(unreadable(error)));
  });
  // A form that ends in error rejects `done` also when nobody waits for the fields yet.
  done.catch(() => undefined);
  const upload = new Promise<FileUpload>((resolve, reject) => {
    parser.on("file", (name, stream, info) => {
      if (name !== "file") {
        stream.resume();
        return;
      }
      resolve({ file: { filename: info.filename ?? "", content: readPart(stream) }, fields: () => done });
    });
    done.then(() => resolve({ file: undefined, fields: () => done }), reject);
  });
  req.pipe(parser);
  return upload;
}
