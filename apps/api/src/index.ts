export { createApp } from "./app.ts";
export { type ApiEnv, loadApiEnv } from "./env.ts";
export { type AppRouter, appRouter } from "./root.ts";
export { type RunningApi, runApi } from "./runApi.ts";
export { type ApiServer, startApiServer } from "./server.ts";
export type { ApiServices } from "./services.ts";
