import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "./configSchema.ts";

describe("parseConfig", () => {
  it("defaults everything when the environment is empty", () => {
    expect(parseConfig({})).toEqual({
      databaseUrl: undefined,
      home: ".sluice",
      logLevel: "info",
      providers: {
        openai: { apiKey: undefined, baseUrl: undefined },
        anthropic: { apiKey: undefined, baseUrl: undefined },
        extra: {},
        simulatorUrl: undefined,
      },
      models: [],
      cascades: [],
      classifierModel: "cascade:simulator",
      cache: { ttlSeconds: 86_400, scope: "tenant" },
      modelLimits: { maxConcurrent: 64, maxQueued: 256 },
      budgetLeaseMs: 30_000,
      jobs: {
        kinds: {},
        concurrency: 20,
        pollMs: 2_000,
        superviseSeconds: 30,
        shutdownGraceMs: 20_000,
        eventRetentionDays: 14,
        deadLetterAlert: {
          threshold: 10,
          windowSeconds: 3_600,
          webhookUrl: undefined,
          webhookSecret: undefined,
        },
      },
      retention: {
        intervalMs: 600_000,
        chunkRows: 5_000,
        jobsDays: 30,
        queueDays: 7,
        webhookDeliveriesDays: 14,
        llmCallsDays: 90,
      },
      streams: { maxPerTenant: 2_000, maxSeconds: 3_600 },
      batches: { pollMs: 30_000, maxRequests: undefined, maxBytes: undefined, maxRetries: 2 },
      files: { maxBytes: 209_715_200 },
      webhooks: { allowPrivate: false },
    });
  });

  it("allows private webhook targets only when SLUICE_ALLOW_PRIVATE_WEBHOOKS says so", () => {
    expect(parseConfig({ SLUICE_ALLOW_PRIVATE_WEBHOOKS: "true" }).webhooks.allowPrivate).toBe(true);
    expect(parseConfig({ SLUICE_ALLOW_PRIVATE_WEBHOOKS: "0" }).webhooks.allowPrivate).toBe(false);
    expect(() => parseConfig({ SLUICE_ALLOW_PRIVATE_WEBHOOKS: "yes" })).toThrow(
      /SLUICE_ALLOW_PRIVATE_WEBHOOKS/,
    );
  });

  it("treats empty strings as unset", () => {
    expect(parseConfig({ DATABASE_URL: "", OPENAI_API_KEY: " " }).databaseUrl).toBeUndefined();
  });

  it("reads provider keys and base URLs", () => {
    const config = parseConfig({ ANTHROPIC_API_KEY: "k", OPENAI_BASE_URL: "http://127.0.0.1:4010/v1" });
    expect(config.providers.anthropic.apiKey).toBe("k");
    expect(config.providers.openai.baseUrl).toBe("http://127.0.0.1:4010/v1");
  });

  it("reads the budget lease time in seconds and refuses one under 0.1 s", () => {
    expect(parseConfig({ SLUICE_BUDGET_LEASE_SECONDS: "1.5" }).budgetLeaseMs).toBe(1_500);
    expect(() => parseConfig({ SLUICE_BUDGET_LEASE_SECONDS: "0" })).toThrow(/SLUICE_BUDGET_LEASE_SECONDS/);
  });

  it("reads retentions in days, decimals allowed, and refuses zero", () => {
    const config = parseConfig({
      SLUICE_LLM_CALLS_RETENTION_DAYS: "0.002",
      SLUICE_JOB_EVENTS_RETENTION_DAYS: "1.5",
    });
    expect(config.retention.llmCallsDays).toBe(0.002);
    expect(config.jobs.eventRetentionDays).toBe(1.5);
    expect(() => parseConfig({ SLUICE_JOBS_RETENTION_DAYS: "0" })).toThrow(/SLUICE_JOBS_RETENTION_DAYS/);
    expect(parseConfig({ SLUICE_MAINTENANCE_INTERVAL_SECONDS: "2.5" }).retention.intervalMs).toBe(2_500);
  });

  it("parses extra providers and model overrides from JSON, rejecting bad JSON by name", () => {
    const config = parseConfig({
      SLUICE_PROVIDERS: '{"ollama":{"baseUrl":"http://127.0.0.1:11434/v1"}}',
      SLUICE_MODELS: '[{"id":"llama"}]',
    });
    expect(config.providers.extra).toEqual({ ollama: { baseUrl: "http://127.0.0.1:11434/v1" } });
    expect(config.models).toEqual([{ id: "llama" }]);
    expect(() => parseConfig({ SLUICE_PROVIDERS: "{not json" })).toThrow(/SLUICE_PROVIDERS/);
    expect(() => parseConfig({ SLUICE_MODELS: '{"id":1}' })).toThrow(/SLUICE_MODELS must be a JSON array/);
  });

  it("names every wrong variable in one error", () => {
    const error = (() => {
      try {
        parseConfig({ DATABASE_URL: "mysql://x", LOG_LEVEL: "loud", OPENAI_BASE_URL: "nope" });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables.sort()).toEqual(["DATABASE_URL", "LOG_LEVEL", "OPENAI_BASE_URL"]);
    expect((error as ConfigError).message).toMatch(
      /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
  });
});
