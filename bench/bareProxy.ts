// The floor any Node gateway can reach: a bare node:http server that reads the request body, forwards
// it over an undici Pool (as Sluice's upstream path does) and writes the answer back. No parsing, no
// auth, no limits, no logging: what is left is Node's HTTP on both sides and one pooled upstream hop.
// Run: node bench/bareProxy.ts <upstream origin> [port]   (prints "listening on <port>")
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";

const [upstream, port = "0"] = process.argv.slice(2);
if (!upstream) throw new Error("usage: node bench/bareProxy.ts <upstream origin> [port]");
const pool = new Pool(upstream, { keepAliveTimeout: 30_000 });

async function forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = {
    "content-type": req.headers["content-type"] ?? "application/json",
  };
  if (req.headers.authorization) headers.authorization = req.headers.authorization;
  const answer = await pool.request({
    path: req.url ?? "/",
    method: req.method as "POST",
    headers,
    body: Buffer.concat(chunks),
  });
  const body = Buffer.from(await answer.body.arrayBuffer());
  res.writeHead(answer.statusCode, {
    "content-type": String(answer.headers["content-type"] ?? "application/json"),
    "content-length": body.length,
  });
  res.end(body);
}

const server = http.createServer((req, res) => {
  forward(req, res).catch((error: unknown) => {
    // A bench that sees 502s counts them as errors; the floor must not hide a broken upstream.
    if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: String(error) } }));
  });
});
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`listening on ${(server.address() as AddressInfo).port}`);
});
process.on("SIGTERM", () => {
  server.close();
  void pool.close().finally(() => process.exit(0));
});
