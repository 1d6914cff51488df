import { databaseTestConfig } from "@sluice/db/testing/vitestPreset";
import { defineConfig, mergeConfig } from "vitest/config";

// Every test here starts real `sluice` processes, a second or more each on a loaded machine.
export default mergeConfig(databaseTestConfig(), defineConfig({ test: { testTimeout: 120_000 } }));
