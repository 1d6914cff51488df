import fc from "fast-check";
import superjson from "superjson";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseSuperjson } from "../src/parseSuperjson.ts";

/** How tRPC's clients decode an event: the reference. */
const viaSuperjson = (text: string) => superjson.deserialize(JSON.parse(text));

/** Equal values, and every object on the same prototype. */
function expectSame(fast: unknown, slow: unknown): void {
  expect(fast).toStrictEqual(slow);
  if (typeof slow === "object" && slow !== null) {
    expect(Object.getPrototypeOf(fast)).toBe(Object.getPrototypeOf(slow));
    for (const key of Object.keys(slow)) {
      expectSame((fast as Record<string, unknown>)[key], (slow as Record<string, unknown>)[key]);
    }
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("parseSuperjson", () => {
  it("decodes a job event as superjson does, with its Date", () => {
    const event = {
      id: 42,
      jobId: "0193a3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
      type: "progress",
      data: { progress: 50, message: 'half way "quoted"\n', nested: { "a.b": [1, null, true] } },
      at: new Date("2026-12-01T12:00:00.123Z"),
    };
    const text = JSON.stringify(superjson.serialize(event));
    const walk = vi.spyOn(superjson, "deserialize");
    const decoded = parseSuperjson(text) as typeof event;
    // Decoded without superjson's walk: what the fast path is for.
    expect(walk).not.toHaveBeenCalled();
    walk.mockRestore();
    expect(decoded.at).toBeInstanceOf(Date);
    expectSame(decoded, viaSuperjson(text));
    expectSame(decoded, event);
  });

  it("decodes any JSON data with top-level Dates as superjson does", () => {
    const data = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    let decoded = 0;
    let walked = 0;
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), data),
        fc.dictionary(
          fc.oneof(
            { weight: 4, arbitrary: fc.stringMatching(/^[a-z]{1,8}$/) },
            { weight: 1, arbitrary: fc.string() },
          ),
          fc.date(),
        ),
        (plain, dates) => {
          const value = { ...plain, ...dates };
          let text: string;
          try {
            text = JSON.stringify(superjson.serialize(value));
          } catch {
            // Keys superjson refuses to write (`__proto__` and the like) make no payload of its own.
            return true;
          }
          let slow: unknown;
          try {
            slow = viaSuperjson(text);
          } catch (error) {
            // What superjson refuses, it still refuses.
            expect(() => parseSuperjson(text)).toThrow((error as Error).message);
            return true;
          }
          const walk = vi.spyOn(superjson, "deserialize");
          const fast = parseSuperjson(text);
          walked += walk.mock.calls.length;
          walk.mockRestore();
          decoded++;
          expectSame(fast, slow);
          return true;
        },
      ),
      { numRuns: 500 },
    );
    // Keys with dots, backslashes or refused names go to superjson; nearly all others do not.
    expect(decoded).toBeGreaterThan(400);
    expect(walked).toBeLessThan(decoded / 3);
  });

  it("decodes anything superjson writes as superjson does", () => {
    const shared = { s: 1 };
    const values: unknown[] = [
      new Date(5),
      [new Date(5)],
      { when: { at: new Date(5) } },
      { a: undefined, b: Number.NaN, c: -0, d: 10n, e: /x/g },
      { m: new Map([["k", new Date(1)]]), s: new Set([1, 2]) },
      { one: shared, two: shared },
      { "a.b": new Date(1), "c\\d": new Date(2) },
      { bad: new Date(Number.NaN) },
      "text",
      null,
    ];
    for (const value of values) {
      const text = JSON.stringify(superjson.serialize(value));
      expectSame(parseSuperjson(text), viaSuperjson(text));
    }
  });

  it("decodes as superjson does whatever superjson writes, for values of every kind", () => {
    const anything = fc.anything({
      withDate: true,
      withMap: true,
      withSet: true,
      withBigInt: true,
      withNullPrototype: true,
      withSparseArray: true,
      withBoxedValues: true,
      withObjectString: true,
    });
    const value = fc.oneof(
      anything,
      fc.record({ at: fc.date(), data: anything }),
      fc.dictionary(fc.string(), fc.oneof(fc.date(), anything)),
    );
    fc.assert(
      fc.property(value, (v) => {
        let text: string;
        try {
          text = JSON.stringify(superjson.serialize(v));
        } catch {
          return;
        }
        let slow: unknown;
        try {
          slow = viaSuperjson(text);
        } catch (error) {
          expect(() => parseSuperjson(text)).toThrow((error as Error).message);
          return;
        }
        expectSame(parseSuperjson(text), slow);
      }),
      { numRuns: 1_000 },
    );
  });

  it("treats payloads superjson would refuse or that are not its own as superjson does", () => {
    for (const text of [
      '{"json":{"constructor":"2026-01-01T00:00:00.000Z"},"meta":{"values":{"constructor":["Date"]},"v":1}}',
      '{"json":{"at":1},"meta":{"values":{"at":["Date"]},"v":1,"referentialEqualities":{}}}',
      '{"json":{"at":1},"meta":{"values":{"at":["Date"]}}}',
      '{"json":{"at":"x"},"meta":{"values":{"at":["custom","thing"]},"v":1}}',
      // superjson's copy sets a prototype where JSON.parse makes an own key.
      '{"json":{"__proto__":{"polluted":true},"at":"2026-01-01T00:00:00.000Z"},"meta":{"values":{"at":["Date"]},"v":1}}',
      '{"json":{"__proto__":{"polluted":true}}}',
      "[1,2]",
      "{}",
    ]) {
      let slow: unknown;
      try {
        slow = viaSuperjson(text);
      } catch (error) {
        expect(() => parseSuperjson(text)).toThrow((error as Error).message);
        continue;
      }
      expectSame(parseSuperjson(text), slow);
    }
    expect(() => parseSuperjson("{not json")).toThrow(SyntaxError);
  });
});
