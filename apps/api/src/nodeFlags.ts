/**
 * Node flags an API process starts with.
 *
 * An API streaming events to many subscribers allocates a frame, an event and socket buffers per
 * delivery. Left to Node 24's defaults, V8 grows the young generation until each scavenge copies
 * tens of megabytes of survivors (10 ms at the median, up to 31 ms with 1,000 subscribers). A
 * 32 MB semi-space bounds that and still collects a third as often as 8 MB: in paired runs with
 * 1,000 subscribers, 31 scavenges against 95 (median pause 10 ms against 4 ms), 70–77 µs of API
 * CPU per delivery against 88–103 on the tRPC route (57–61 against 64–67 on REST), and a lower
 * p99 in every case (see docs/benchmarks.md). V8 reads it only at start: `sluice up` passes it to
 * its API process.
 */
export const API_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=32"];
