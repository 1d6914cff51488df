import fc from "fast-check";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { appRouter } from "../src/root.ts";
import { plainSuperjson } from "../src/trpc/plainSuperjson.ts";

/** What the stream writer would send without the fast path: the router's own transformer. */
const viaTransformer = (value: unknown) =>
  JSON.stringify(appRouter._def._config.transformer.output.serialize(value));

describe("plainSuperjson", () => {
  it("is the router's transformer: superjson", () => {
    expect(viaTransformer({ at: new Date(0) })).toBe(
      JSON.stringify(superjson.serialize({ at: new Date(0) })),
    );
  });

  it("writes exactly what superjson writes for a job event", () => {
    const event = {
      id: 42,
      jobId: "0193a3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
      type: "progress",
      data: { progress: 50, message: 'half way \u2013 "quoted"\n', nested: { "a.b": [1, null, true] } },
      at: new Date("2026-12-01T12:00:00.123Z"),
    };
    expect(plainSuperjson(event)).toBe(viaTransformer(event));
    expect(plainSuperjson({ a: 1 })).toBe(viaTransformer({ a: 1 }));
    expect(plainSuperjson({ first: new Date(1), second: new Date(2) })).toBe(
      viaTransformer({ first: new Date(1), second: new Date(2) }),
    );
  });

  it("writes exactly what superjson writes for any JSON data with top-level Dates", () => {
    const data = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    let written = 0;
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), data),
        fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.date({ noInvalidDate: true })),
        (plain, dates) => {
          const value = { ...plain, ...dates };
          const fast = plainSuperjson(value);
          // Where it writes something, it is superjson's text to the byte.
          if (fast !== undefined) {
            written++;
            expect(fast).toBe(viaTransformer(value));
          }
          return true;
        },
      ),
      { numRuns: 500 },
    );
    // Such values are what it is for: it wrote nearly all of them itself.
    expect(written).toBeGreaterThan(450);
  });

  it("writes superjson's text whenever it writes anything, for values of every kind", () => {
    // Nested Dates, Maps, Sets, bigints, undefined, -0, sparse arrays, null prototypes, boxed
    // values: the fast path must leave each to superjson or write exactly its text.
    const anything = fc.anything({
      withDate: true,
      withMap: true,
      withSet: true,
      withBigInt: true,
      withNullPrototype: true,
      withSparseArray: true,
      withBoxedValues: true,
      withTypedArray: true,
      withObjectString: true,
    });
    const value = fc.oneof(
      fc.dictionary(fc.string(), anything),
      fc.record({ at: fc.date(), data: anything, nested: fc.dictionary(fc.string(), anything) }),
      anything,
    );
    fc.assert(
      fc.property(value, (v) => {
        const fast = plainSuperjson(v);
        if (fast !== undefined) expect(fast).toBe(viaTransformer(v));
      }),
      { numRuns: 1_000 },
    );
  });

  it("reads each value once, as superjson does: getters and a hidden toJSON change nothing", () => {
    const hidden = { x: 1 };
    Object.defineProperty(hidden, "toJSON", { value: () => "hi", enumerable: false });
    let reads = 0;
    const flaky = {
      get v() {
        reads++;
        return reads === 1 ? 1 : undefined;
      },
    };
    for (const value of [{ a: hidden }, { a: [hidden] }, { a: flaky, at: new Date(0) }]) {
      reads = 0;
      const expected = viaTransformer(value);
      reads = 0;
      expect(plainSuperjson(value)).toBe(expected);
    }
  });

  it.each([
    ["a nested Date", { data: { at: new Date(0) } }],
    ["undefined", { a: undefined }],
    ["NaN", { a: Number.NaN }],
    ["Infinity", { a: [Number.POSITIVE_INFINITY] }],
    ["-0", { a: -0 }],
    [
      "a shared object",
      (() => {
        const shared = { x: 1 };
        return { a: shared, b: shared };
      })(),
    ],
    ["a class instance", { a: new Map([[1, 2]]) }],
    ["an invalid Date", { at: new Date(Number.NaN) }],
    ["a Date under a dotted key", { "a.b": new Date(0) }],
    ["a bigint", { a: 1n }],
    ["an array hole", { a: new Array(3) }],
    ["an array with a named key", { a: Object.assign([1], { x: 2 }) }],
    ["a top-level array", [1, 2]],
    ["a top-level Date", new Date(0)],
    ["a refused key", JSON.parse('{"__proto__": {"x": 1}}')],
  ])("leaves %s to superjson", (_name, value) => {
    expect(plainSuperjson(value)).toBeUndefined();
  });
});
