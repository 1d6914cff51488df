import type { AddressInfo } from "node:net";
import { createApp } from "./app.ts";
import { answerClientError } from "./http/clientErrors.ts";
import type { ApiServices } from "./services.ts";

/** A listening API server. */
export interface ApiServer {
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes what is left. */
  close(graceMs?: number): Promise<void>;
}

/** Starts the API on `host:port` (port 0 picks a free one). */
export function startApiServer(
  deps: ApiServices,
  options: { host: string; port: number },
): Promise<ApiServer> {
  const shutdown = new AbortController();
  const app = createApp({ ...deps, shutdown: shutdown.signal });
  return new Promise((resolve, reject) => {
    const server = app.listen(options.port, options.host, (error?: Error) => {
      if (error) return reject(error);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${options.host}:${port}`,
        close: (graceMs = 10_000) =>
          new Promise<void>((done) => {
            shutdown.abort();
            const force = setTimeout(() => server.closeAllConnections(), graceMs);
            force.unref();
            server.close(() => {
              clearTimeout(force);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
    server.on("clientError", answerClientError);
  });
}
