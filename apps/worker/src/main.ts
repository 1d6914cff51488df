import path from "node:path";
import { loadConfig, preloadEncodings } from "@sluice/core";
import { resolveDatabase } from "@sluice/db";
import { startBoss, stopBoss } from "./boss.ts";

const config = loadConfig();
// Tokenizer tables take a few hundred ms to load: pay that at start, not on the first request.
preloadEncodings();
const resolved = await resolveDatabase({
  databaseUrl: config.databaseUrl,
  dataDir: path.resolve(config.home, "postgres"),
  handleSignals: false,
});
const boss = await startBoss({
  connectionString: resolved.url,
  onError: (error) => process.stderr.write(`pg-boss: ${error.message}\n`),
});
process.stdout.write("sluice worker started\n");

async function shutdown(): Promise<void> {
  await stopBoss(boss);
  await resolved.stop();
  process.exit(0);
}
process.once("SIGINT", () => void shutdown());
process.once("SIGTERM", () => void shutdown());
