import {
  cancelMessageBatch,
  createMessageBatch,
  getMessageBatch,
  listMessageBatches,
  messageBatchResults,
} from "./anthropic/batches.ts";
import { messages } from "./anthropic/messages.ts";
import { simModels } from "./catalog.ts";
import { cancelBatch, createBatch, getBatch, listBatches } from "./openai/batches.ts";
import { chatCompletions } from "./openai/chatCompletions.ts";
import { embeddings } from "./openai/embeddings.ts";
import { getFile, getFileContent, uploadFile } from "./openai/files.ts";
import { responses } from "./openai/responses.ts";
import { sendError, sendJson, type Wire } from "./providerErrors.ts";
import type { SimRequest } from "./simContext.ts";

/** One endpoint: method, path pattern, wire format and handler. */
export interface Route {
  method: string;
  pattern: RegExp;
  wire: Wire;
  /** Whether injected faults apply (model calls do; metadata reads do not). */
  faultable: boolean;
  handle(ctx: SimRequest): Promise<void> | void;
}

function listModels(ctx: SimRequest): void {
  sendJson(ctx.res, 200, {
    object: "list",
    data: simModels.map((m) => ({ id: m.id, object: "model", created: 1_735_689_600, owned_by: m.family })),
  });
}

function getModel(ctx: SimRequest): void {
  const model = simModels.find((m) => m.id === ctx.params[0]);
  if (!model) {
    sendError(ctx.res, "openai", 404, `The model '${ctx.params[0]}' does not exist`, {
      code: "model_not_found",
    });
    return;
  }
  sendJson(ctx.res, 200, { id: model.id, object: "model", created: 1_735_689_600, owned_by: model.family });
}

const routes: Route[] = [
  {
    method: "POST",
    pattern: /^\/v1\/chat\/completions$/,
    wire: "openai",
    faultable: true,
    handle: chatCompletions,
  },
  { method: "POST", pattern: /^\/v1\/responses$/, wire: "openai", faultable: true, handle: responses },
  { method: "POST", pattern: /^\/v1\/embeddings$/, wire: "openai", faultable: true, handle: embeddings },
  { method: "GET", pattern: /^\/v1\/models$/, wire: "openai", faultable: false, handle: listModels },
  { method: "GET", pattern: /^\/v1\/models\/([^/]+)$/, wire: "openai", faultable: false, handle: getModel },
  { method: "POST", pattern: /^\/v1\/messages$/, wire: "anthropic", faultable: true, handle: messages },
  { method: "POST", pattern: /^\/v1\/files$/, wire: "openai", faultable: false, handle: uploadFile },
  { method: "GET", pattern: /^\/v1\/files\/([^/]+)$/, wire: "openai", faultable: false, handle: getFile },
  {
    method: "GET",
    pattern: /^\/v1\/files\/([^/]+)\/content$/,
    wire: "openai",
    faultable: false,
    handle: getFileContent,
  },
  { method: "POST", pattern: /^\/v1\/batches$/, wire: "openai", faultable: false, handle: createBatch },
  { method: "GET", pattern: /^\/v1\/batches$/, wire: "openai", faultable: false, handle: listBatches },
  { method: "GET", pattern: /^\/v1\/batches\/([^/]+)$/, wire: "openai", faultable: false, handle: getBatch },
  {
    method: "POST",
    pattern: /^\/v1\/batches\/([^/]+)\/cancel$/,
    wire: "openai",
    faultable: false,
    handle: cancelBatch,
  },
  {
    method: "POST",
    pattern: /^\/v1\/messages\/batches$/,
    wire: "anthropic",
    faultable: false,
    handle: createMessageBatch,
  },
  {
    method: "GET",
    pattern: /^\/v1\/messages\/batches$/,
    wire: "anthropic",
    faultable: false,
    handle: listMessageBatches,
  },
  {
    method: "GET",
    pattern: /^\/v1\/messages\/batches\/([^/]+)$/,
    wire: "anthropic",
    faultable: false,
    handle: getMessageBatch,
  },
  {
    method: "GET",
    pattern: /^\/v1\/messages\/batches\/([^/]+)\/results$/,
    wire: "anthropic",
    faultable: false,
    handle: messageBatchResults,
  },
  {
    method: "POST",
    pattern: /^\/v1\/messages\/batches\/([^/]+)\/cancel$/,
    wire: "anthropic",
    faultable: false,
    handle: cancelMessageBatch,
  },
];

/** The route for a request and its path parameters. */
export function matchRoute(method: string, path: string): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (m) return { route, params: m.slice(1).map(decodeURIComponent) };
  }
  return undefined;
}
