/**
 * Node flags a worker process starts with.
 *
 * A worker with many model calls in flight allocates a steady stream of short-lived objects; V8
 * then grows its young generation towards its default ceiling (128 MB here), which it never hands
 * back. A 16 MB semi-space keeps a worker with 1,000 calls in flight near 260 MB instead of 320 MB,
 * at no measurable cost in job throughput (see docs/benchmarks.md). V8 reads it only at start, so
 * it must be on the command line (or in `NODE_OPTIONS`): `sluice up` passes it to its workers, and
 * the `pnpm sluice` script starts every command with it.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=16"];
