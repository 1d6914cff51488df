import { messages } from "./anthropic/messages.ts";
import { simModels } from "./catalog.ts";
import { chatCompletions } from "./openai/chatCompletions.ts";
import { embeddings } from "./openai/embeddings.ts";
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
  { method: "POST", pattern: /^\/v1\/embeddings$/, wire: "openai", faultable: true, handle: embeddings },
  { method: "GET", pattern: /^\/v1\/models$/, wire: "openai", faultable: false, handle: listModels },
  { method: "GET", pattern: /^\/v1\/models\/([^/]+)$/, wire: "openai", faultable: false, handle: getModel },
  { method: "POST", pattern: /^\/v1\/messages$/, wire: "anthropic", faultable: true, handle: messages },
];

/** Adds routes (files, batches) to the table. */
export function addRoutes(more: Route[]): void {
  routes.push(...more);
}

/** The route for a request and its path parameters. */
export function matchRoute(method: string, path: string): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (m) return { route, params: m.slice(1).map(decodeURIComponent) };
  }
  return undefined;
}
