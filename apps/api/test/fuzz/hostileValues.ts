import fc from "fast-check";

/** Any JS value as the JSON a client could send (bigints become strings, undefined becomes null). */
export function asJson(value: unknown): unknown {
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    return text === undefined ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

const nastyStrings = fc.constantFrom(
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\uD800",
  "x\uDFFFy",
  "\u202Eevil",
  "💥".repeat(64),
  "null",
  "undefined",
  "NaN",
  "-1",
  "1e309",
  "0x10",
  "__proto__",
  "constructor",
  "../../../etc/passwd",
  "%00",
  "%ZZ",
  "' OR 1=1 --",
  "'); drop table tenants; --",
  "<script>alert(1)</script>",
  "cascade:",
  "cascade:../x",
  "2026-13-45T99:99:99Z",
  "0000-00-00",
  "\r\n\r\nHTTP/1.1 200 OK",
);

const nastyNumbers = fc.constantFrom(
  0,
  -1,
  1.5,
  -0.000001,
  2 ** 31,
  2 ** 53 + 2,
  -(2 ** 53) - 2,
  1e308,
  -1e308,
  5e-324,
  Number.MAX_VALUE,
);

/** Strings a parser trips on: null bytes, lone surrogates, control characters, injections. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  nastyStrings,
  fc.string().map((s) => `${s}\u0000${s}`),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
);

/** Values with `__proto__` and `constructor` as own keys, as `JSON.parse` makes them. */
const pollution = fc.constantFrom(
  JSON.parse('{"__proto__":{"polluted":true}}') as unknown,
  JSON.parse('{"constructor":{"prototype":{"polluted":true}}}') as unknown,
  JSON.parse('{"__proto__":null,"toString":1,"valueOf":"x","hasOwnProperty":[]}') as unknown,
);

/** An object or array nested `depth` levels deep (small enough to build and stringify). */
export function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

/** A string of `length` characters, built once per length. */
const bigStrings = new Map<number, string>();
export function bigString(length: number): string {
  let s = bigStrings.get(length);
  if (s === undefined) {
    s = "x".repeat(length);
    bigStrings.set(length, s);
  }
  return s;
}

/**
 * Hostile JSON values: random JSON, anything mapped to JSON, wrong types, nasty strings and
 * numbers, prototype keys, nesting; `large` adds strings and arrays up to past the body limit.
 */
export function hostileValue(options: { large: boolean }): fc.Arbitrary<unknown> {
  const huge = options.large
    ? [
        fc.constantFrom(10_000, 100_000, 1_100_000, 2_500_000).map(bigString),
        fc.constantFrom(1_000, 50_000).map((n) => Array.from({ length: n }, () => 0)),
        fc.constantFrom(500, 2_000).map((depth) => nested(depth)),
      ]
    : [fc.constantFrom(500, 2_000).map(bigString), fc.constantFrom(50, 200).map((depth) => nested(depth))];
  return fc.oneof(
    { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 4 },
    {
      arbitrary: fc
        .anything({
          maxDepth: 3,
          withBigInt: true,
          withDate: true,
          withNullPrototype: true,
          withSparseArray: true,
        })
        .map(asJson),
      weight: 3,
    },
    { arbitrary: hostileString, weight: 3 },
    { arbitrary: nastyNumbers, weight: 2 },
    { arbitrary: fc.constantFrom(null, true, false, [], {}), weight: 2 },
    { arbitrary: pollution, weight: 1 },
    ...huge.map((arbitrary) => ({ arbitrary, weight: 1 })),
  );
}

/** Extreme values of a leaf's own type: a string with NUL or past its bounds, a number past any column. */
export function extremeLike(value: unknown): fc.Arbitrary<unknown> {
  if (typeof value === "string")
    return fc.oneof(
      fc.constant(`${value}\u0000`),
      fc.constantFrom("\u0000", "\uD800", "", " ", bigString(300), bigString(100_000)),
      fc.constantFrom("0000-01-01", "-271821-04-20T00:00:00Z", "+275760-09-13T00:00:00Z", "9999-99-99"),
      hostileString,
    );
  if (typeof value === "number")
    return fc.oneof(nastyNumbers, fc.constantFrom(-8.64e15, 8.64e15, 2 ** 31 - 1, -(2 ** 31), 2 ** 63));
  if (typeof value === "boolean") return fc.constantFrom("true", 1, null);
  return hostileValue({ large: false });
}

/** Values for fields a schema leaves open (`z.unknown()`, coerced dates): dates, numbers, small JSON. */
export const openValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc
      .date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
      .map((d) => d.toISOString()),
    weight: 2,
  },
  { arbitrary: fc.integer({ min: 0, max: 4_102_444_800_000 }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
);

/** Superjson `meta` sections, valid and not, that make deserialization walk odd paths. */
export const hostileMeta: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    { values: ["undefined"] },
    { values: ["Date"] },
    { values: ["bigint"] },
    { values: [["class", "Nope"]] },
    { values: [["custom", "Nope"]] },
    { values: { id: ["regexp"] } },
    { values: { id: ["set"] } },
    { values: { id: ["map"] } },
    { values: { id: ["symbol"] } },
    { values: { "__proto__.polluted": ["undefined"] } },
    { values: { "constructor.prototype.polluted": ["Date"] } },
    { values: { "a.b.c.d.e": ["number"] } },
    { referentialEqualities: { id: ["name"] } },
    { referentialEqualities: { "": ["id"] } },
    { referentialEqualities: [["id", "id"]] },
    { values: nested(200, "undefined") },
    { v: 1, values: 7 },
  ),
);
