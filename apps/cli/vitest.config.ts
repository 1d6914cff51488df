import { databaseTestConfig } from "@sluice/db/testing/vitestPreset";
import { defineConfig } from "vitest/config";

export default defineConfig(databaseTestConfig());
