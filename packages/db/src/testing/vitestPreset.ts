import { fileURLToPath } from "node:url";
import type { ViteUserConfig } from "vitest/config";

/** Shared vitest settings for packages whose tests need Postgres. */
export function databaseTestConfig(): ViteUserConfig {
  return {
    test: {
      globalSetup: [fileURLToPath(new URL("./globalSetup.ts", import.meta.url))],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      pool: "forks",
    },
  };
}
