export { createApp } from "./app.ts";
export { type AppRouter, appRouter } from "./root.ts";
export { type ApiServer, startApiServer } from "./server.ts";
export type { ApiServices } from "./services.ts";
