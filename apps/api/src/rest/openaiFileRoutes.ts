import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type BatchScope, openAiFileObject } from "@sluice/core";
import { type Request, Router } from "express";
import { bearerToken } from "../auth/bearerToken.ts";
import { requestIdOf } from "../http/requestId.ts";
import type { ApiServices } from "../services.ts";
import { multipartUpload } from "./multipartUpload.ts";

/** An attachment header for any stored name: printable ASCII as is, the exact name RFC 5987-encoded. */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const exact = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/**
 * OpenAI's Files API: `POST /v1/files` (multipart `file` + `purpose`), `GET /v1/files`,
 * `GET /v1/files/:id`, `GET /v1/files/:id/content`, `DELETE /v1/files/:id`.
 */
export function openaiFileRoutes(services: ApiServices): Router {
  const router = Router();
  const scopeOf = async (req: Request): Promise<BatchScope> => {
    const principal = await services.auth.authenticate(bearerToken(req.headers));
    return { tenantId: principal.tenant.id, apiKey: principal.key, requestId: requestIdOf(req) };
  };
  const id = (req: Request) => String(req.params.id);

  router.post("/v1/files", async (req, res) => {
    const scope = await scopeOf(req);
    try {
      const file = await services.files.upload(scope, await multipartUpload(req));
      res.json(openAiFileObject(file));
    } catch (error) {
      // Refused before the whole body was read: the rest is discarded and the connection not reused.
      if (!req.complete) {
        res.setHeader("connection", "close");
        req.unpipe();
        req.resume();
      }
      throw error;
    }
  });

  router.get("/v1/files", async (req, res) => {
    const page = await services.files.list(await scopeOf(req), req.query);
    const data = page.items.map(openAiFileObject);
    res.json({
      object: "list",
      data,
      has_more: page.hasMore,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
    });
  });

  router.get("/v1/files/:id", async (req, res) => {
    res.json(openAiFileObject(await services.files.get(await scopeOf(req), id(req))));
  });

  router.get("/v1/files/:id/content", async (req, res) => {
    const { file, chunks } = await services.files.content(await scopeOf(req), id(req));
    res.status(200).setHeader("content-type", "application/octet-stream");
    res.setHeader("content-length", String(file.bytes));
    res.setHeader("content-disposition", contentDisposition(file.filename));
    // Backpressure and a client that goes away are the pipeline's to handle.
    await pipeline(Readable.from(chunks), res).catch(() => res.destroy());
  });

  router.delete("/v1/files/:id", async (req, res) => {
    await services.files.remove(await scopeOf(req), id(req));
    res.json({ id: id(req), object: "file", deleted: true });
  });

  return router;
}
