/**
 * Node flags an API process starts with.
 *
 * An API streaming events to many subscribers allocates a frame, an event and socket buffers per
 * delivery; under Node 24's defaults V8 grows the young generation until each scavenge copies
 * tens of megabytes of survivors, and a delivery round that meets one waits for it: with 1,000
 * subscribers, scavenges took 10 ms at the median and up to 31 ms. An 8 MB semi-space keeps them
 * at 3.5 ms (at most 8.5 ms) at the same CPU per delivery (see docs/benchmarks.md). V8 reads it
 * only at start: `sluice up` passes it to its API process.
 */
export const API_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8"];
