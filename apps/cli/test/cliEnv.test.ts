import { describe, expect, it } from "vitest";
import { loadCliEnv } from "../src/env.ts";

describe("loadCliEnv", () => {
  it("reads the CLI's variables, blank ones as unset, and defaults the API port to 3000", () => {
    expect(loadCliEnv({ SLUICE_URL: "http://api:8080", SLUICE_API_KEY: "", LOG_LEVEL: "info" })).toEqual({
      url: "http://api:8080",
      apiKey: undefined,
      apiPort: 3000,
      logLevel: "info",
      batchPollMs: undefined,
    });
    expect(loadCliEnv({ SLUICE_API_PORT: "8081" }).apiPort).toBe(8081);
  });

  it("names the variable of a wrong value", () => {
    expect(() => loadCliEnv({ SLUICE_API_PORT: "eighty" })).toThrow(/SLUICE_API_PORT/);
    expect(() => loadCliEnv({ SLUICE_API_PORT: "70000" })).toThrow(/SLUICE_API_PORT/);
  });
});
