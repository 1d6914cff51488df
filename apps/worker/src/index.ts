export { startWorker, type Worker, type WorkerOptions } from "./engine/worker.ts";
export { loadWorkerEnv, type WorkerEnv } from "./env.ts";
export { createHandlers, type HandlerServices } from "./handlers/index.ts";
export type { JobContext, JobHandler, JobHandlers } from "./handlers/jobHandler.ts";
export { WORKER_NODE_FLAGS } from "./nodeFlags.ts";
export { type RunningWorker, runWorker } from "./runWorker.ts";
