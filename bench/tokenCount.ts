// Token counting speed for a typical classification prompt (about 200 tokens), per call.
// Run: pnpm bench:tokens
import os from "node:os";
import { classifyRequest } from "../packages/core/src/tickets/classifyPrompt.ts";
import { countChatTokens, preloadEncodings } from "../packages/core/src/tokens/index.ts";
import { ms, percentile } from "./benchStats.ts";

const request = classifyRequest({
  subject: "Charged twice for order #10234",
  body: "My card was charged twice for the Acme Analytics plan on invoice #10234. Please refund the duplicate charge. ".repeat(
    4,
  ),
});
const started = performance.now();
preloadEncodings();
const loadMs = performance.now() - started;
const times: number[] = [];
for (let i = 0; i < 20_000; i++) {
  const t = performance.now();
  countChatTokens(request.messages, "openai", "gpt-4o-mini");
  times.push(performance.now() - t);
}
console.log(
  `node ${process.version}, ${os.cpus()[0]?.model}; prompt of ${countChatTokens(request.messages, "openai", "gpt-4o-mini")} tokens`,
);
console.log(
  `encoder load: ${ms(loadMs)}; per call p50 ${ms(percentile(times.slice(2000), 50))}, p99 ${ms(percentile(times.slice(2000), 99))}`,
);
