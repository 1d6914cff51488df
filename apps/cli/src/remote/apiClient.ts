import { createSluiceClient, type SluiceClient } from "@sluice/client";
import { loadConfig } from "@sluice/core";
import { TRPCClientError } from "@trpc/client";
import type { Command } from "commander";
import { loadCliEnv } from "../env.ts";
import { CliFailure } from "../output/failure.ts";
import { readCliConfig } from "./cliConfig.ts";

/** Options every command that talks to the API accepts. */
export interface RemoteOptions {
  url?: string;
  key?: string;
}

/** Adds `--url` and `--key` to a command. */
export function withRemoteOptions(command: Command): Command {
  return command
    .option(
      "--url <url>",
      "API base URL (default SLUICE_URL, the URL `sluice up` saved, or http://127.0.0.1:3000)",
    )
    .option("--key <key>", "API key (default SLUICE_API_KEY, or the admin key `sluice up` saved)");
}

/** The API URL and key a command uses: flags, then environment, then what `sluice up` saved. */
export function remoteTarget(options: RemoteOptions): { url: string; key: string | undefined } {
  const saved = readCliConfig(loadConfig().home);
  const env = loadCliEnv();
  const url = options.url ?? env.url ?? saved?.url ?? "http://127.0.0.1:3000";
  const key = options.key ?? env.apiKey ?? saved?.adminKey;
  return { url: url.replace(/\/+$/, ""), key };
}

/** A typed client for the command's target. */
export function apiClient(options: RemoteOptions): SluiceClient {
  const { url, key } = remoteTarget(options);
  return createSluiceClient({ url, ...(key ? { apiKey: key } : {}) });
}

/** Runs an API call; failures become one clear line (code, message, request id) and exit 1. */
export async function remote<T>(options: RemoteOptions, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toCliFailure(error, remoteTarget(options).url);
  }
}

/** The CLI's view of a failed API call. */
export function toCliFailure(error: unknown, url: string): unknown {
  if (!(error instanceof TRPCClientError)) return error;
  const data = error.data as { error?: { code?: string; message?: string }; request_id?: string } | undefined;
  if (data?.error?.code) {
    const id = data.request_id ? ` (request ${data.request_id})` : "";
    return new CliFailure(data.error.code, `${data.error.message ?? error.message}${id}`);
  }
  return new CliFailure(
    "service_unavailable",
    `cannot reach the Sluice API at ${url}: ${error.message} (is it running? try sluice up)`,
  );
}
