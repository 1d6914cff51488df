import path from "node:path";
import { fileURLToPath } from "node:url";
import { API_NODE_FLAGS } from "@sluice/api/nodeFlags";
import { ensureStackKeys, loadConfig, type SluiceConfig, type StackKeys } from "@sluice/core";
import {
  createDb,
  installQueueSchema,
  migrateToLatest,
  redactDatabaseUrl,
  resolveDatabase,
} from "@sluice/db";
import { WORKER_NODE_FLAGS } from "@sluice/worker/nodeFlags";
import type { Command } from "commander";
import { loadCliEnv } from "../env.ts";
import { paint } from "../output/terminal.ts";
import { readCliConfig, writeCliConfig } from "../remote/cliConfig.ts";
import { lineSink, type Supervised, supervise } from "../up/supervisor.ts";
import { positiveInt } from "./options.ts";

const cliEntry = fileURLToPath(new URL("../main.ts", import.meta.url));

interface UpOptions {
  workers: number;
  port: number;
  jsonLogs?: boolean;
  allowPrivateWebhooks?: boolean;
}

function usesSimulator(config: SluiceConfig): boolean {
  const p = config.providers;
  return !p.simulatorUrl && !p.openai.apiKey && !p.anthropic.apiKey;
}

function banner(url: string, keys: { demoKey: string }, config: SluiceConfig, workers: number): string {
  const curl = `curl -s ${url}/v1/chat/completions -H "Authorization: Bearer ${keys.demoKey}" -H "Content-Type: application/json" -d '{"model":"cascade:simulator","messages":[{"role":"user","content":"My invoice was charged twice"}]}'`;
  return [
    "",
    paint("bold", `Sluice is up: API on ${url}, ${workers} worker${workers === 1 ? "" : "s"}.`),
    `  demo tenant key  ${keys.demoKey}`,
    `  admin CLI        configured in ${path.resolve(config.home, "cli.json")} (try: pnpm sluice tenants list)`,
    "",
    paint("bold", "Try it:"),
    `  ${curl}`,
    "",
    paint("bold", "From TypeScript:"),
    `  import { createSluiceClient } from "@sluice/client";`,
    `  const sluice = createSluiceClient({ url: "${url}", apiKey: "${keys.demoKey}" });`,
    `  await sluice.chat.complete.mutate({ model: "cascade:simulator", messages: [{ role: "user", content: "hi" }] });`,
    "",
    "Ctrl-C stops everything.",
    "",
  ].join("\n");
}

/** `sluice up`: the whole stack on one machine. */
export function registerUp(program: Command): void {
  program
    .command("up")
    .description("run everything: database, migrations, simulator, API and workers (Ctrl-C stops it all)")
    .option("--workers <n>", "worker processes", positiveInt, 1)
    .option("--port <port>", "API port (0 picks a free one)", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error("--port must be 0-65535");
      return n;
    })
    .option("--json-logs", "print every process's log lines as JSON objects")
    .option(
      "--allow-private-webhooks",
      "let webhooks and alerts reach loopback and private addresses (local development; sets SLUICE_ALLOW_PRIVATE_WEBHOOKS)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  $ sluice up\n  $ sluice up --workers 3 --port 8080 --json-logs\n  $ sluice up --allow-private-webhooks",
    )
    .action(async (options: Partial<UpOptions>) => {
      const config = loadConfig();
      const cliEnv = loadCliEnv();
      const workers = options.workers ?? 1;
      const port = options.port ?? cliEnv.apiPort;
      const say = (text: string) => {
        if (options.jsonLogs) process.stdout.write(`${JSON.stringify({ process: "up", msg: text })}\n`);
        else process.stdout.write(`${paint("bold", "[up]")} ${text}\n`);
      };
      const resolved = await resolveDatabase({
        databaseUrl: config.databaseUrl,
        dataDir: path.resolve(config.home, "postgres"),
        handleSignals: false,
      });
      say(
        `database ${redactDatabaseUrl(resolved.url)}${resolved.embedded ? ` (embedded, data in ${path.resolve(config.home, "postgres")})` : ""}`,
      );
      const children: Supervised[] = [];
      const sink = lineSink(options.jsonLogs ?? false);
      let simulator: Supervised | undefined;
      let stopping: Promise<void> | undefined;
      const stopAll = () => {
        stopping ??= (async () => {
          say("stopping");
          await Promise.all(children.map((c) => c.stop()));
          await simulator?.stop();
          await resolved.stop();
          say("stopped");
        })();
        return stopping;
      };
      process.on("SIGINT", () => void stopAll().then(() => process.exit(0)));
      process.on("SIGTERM", () => void stopAll().then(() => process.exit(0)));
      try {
        const db = createDb(resolved.url, { applicationName: "sluice-up", max: 2 });
        let keys: StackKeys;
        try {
          const applied = await migrateToLatest(db);
          await installQueueSchema(db);
          say(
            applied.applied.length > 0
              ? `applied ${applied.applied.length} migrations`
              : "database is up to date",
          );
          keys = await ensureStackKeys(db, readCliConfig(config.home));
        } finally {
          await db.destroy();
        }
        const env: Record<string, string> = { DATABASE_URL: resolved.url, SLUICE_HOME: config.home };
        if (options.jsonLogs === undefined) env.LOG_LEVEL = cliEnv.logLevel ?? "warn";
        if (options.allowPrivateWebhooks) {
          env.SLUICE_ALLOW_PRIVATE_WEBHOOKS = "true";
          say("webhooks may reach private addresses (--allow-private-webhooks): for local development only");
        }
        if (usesSimulator(config)) {
          simulator = supervise(
            cliEntry,
            { name: "simulator", args: ["simulator", "--port", "0"], env, ready: /listening on (\S+)/ },
            sink,
          );
          env.SLUICE_SIMULATOR_URL = await simulator.ready;
          // The simulator's batches end within seconds: check them every second unless told otherwise.
          if (!cliEnv.batchPollMs) env.SLUICE_BATCH_POLL_MS = "1000";
          say(`no provider keys: the simulator answers on ${env.SLUICE_SIMULATOR_URL}`);
        }
        const api = supervise(
          cliEntry,
          {
            name: "api",
            args: ["api"],
            nodeArgs: API_NODE_FLAGS,
            env: { ...env, SLUICE_API_PORT: String(port) },
            ready: /listening on (\S+)/,
          },
          sink,
        );
        children.push(api);
        for (let i = 1; i <= workers; i++) {
          children.push(
            supervise(
              cliEntry,
              {
                name: `worker-${i}`,
                args: ["worker"],
                nodeArgs: WORKER_NODE_FLAGS,
                env,
                ready: /sluice worker started/,
              },
              sink,
            ),
          );
        }
        const url = await api.ready;
        await Promise.all(children.map((c) => c.ready));
        writeCliConfig(config.home, { url, ...keys });
        process.stdout.write(
          options.jsonLogs
            ? `${JSON.stringify({ process: "up", msg: "ready", url, demoKey: keys.demoKey })}\n`
            : banner(url, keys, config, workers),
        );
      } catch (error) {
        await stopAll();
        throw error;
      }
      await new Promise<never>(() => {});
    });
}

/** `sluice api` and `sluice simulator`: one part of the stack, in the foreground. */
export function registerParts(program: Command): void {
  program
    .command("api")
    .description("run the API (SLUICE_API_HOST, SLUICE_API_PORT)")
    .addHelpText("after", "\nExample:\n  $ SLUICE_API_PORT=8080 sluice api")
    .action(async () => {
      const { loadApiEnv, runApi } = await import("@sluice/api");
      const api = await runApi(loadConfig(), loadApiEnv());
      process.stdout.write(`sluice api listening on ${api.url}\n`);
      await untilSignal(() => api.stop());
    });
  program
    .command("simulator")
    .description("run the LLM simulator (OpenAI and Anthropic wire formats)")
    .option("--port <port>", "port (0 picks a free one)", "4010")
    .option("--seed <n>", "seed of its answers", "42")
    .option("--latency <mode>", "none or realistic", "realistic")
    .addHelpText("after", "\nExample:\n  $ sluice simulator --port 4010 --latency none")
    .action(async (o: { port: string; seed: string; latency: string }, command: Command) => {
      const portNumber = Number(o.port);
      if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65_535)
        command.error("error: --port must be 0-65535", { exitCode: 2 });
      if (o.latency !== "none" && o.latency !== "realistic")
        command.error("error: --latency must be none or realistic", { exitCode: 2 });
      const { startSimulator } = await import("@sluice/simulator");
      const sim = await startSimulator({
        port: portNumber,
        seed: Number(o.seed),
        latency: o.latency as "none" | "realistic",
      });
      process.stdout.write(`sluice simulator listening on ${sim.url}\n`);
      await untilSignal(() => sim.close());
    });
}

async function untilSignal(stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      void stop().then(resolve);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
