import { defineConfig } from "vitest/config";
import { databaseTestConfig } from "./src/testing/vitestPreset.ts";

export default defineConfig(databaseTestConfig());
