/** Keys superjson refuses to serialize (it throws): left to it, so it still does. */
const REFUSED_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * superjson's output, as JSON text, for the values subscriptions mostly carry: a plain object of
 * JSON data whose only other leaves are valid Dates directly under it (a job event and its `at`).
 * It is one `JSON.stringify` instead of superjson's walk, several times cheaper per event; with a
 * thousand events to write at once, that walk was a third of the time to the last write.
 *
 * Anything superjson would annotate or refuse is not handled and gives `undefined`, to be serialized
 * by superjson: nested Dates, `undefined`, non-finite numbers or -0, a shared or repeated object,
 * class instances, arrays with named keys, a Date under a key with a dot or backslash (its path
 * would need escaping), refused keys. The test compares the two on such values.
 */
export function plainSuperjson(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const seen = new Set<object>([value]);
  const json: Record<string, unknown> = {};
  let dates = "";
  for (const key of Object.keys(value)) {
    if (REFUSED_KEYS.has(key)) return undefined;
    const leaf = value[key];
    if (leaf instanceof Date && Object.getPrototypeOf(leaf) === Date.prototype) {
      if (Number.isNaN(leaf.getTime()) || key.includes(".") || key.includes("\\") || seen.has(leaf))
        return undefined;
      seen.add(leaf);
      json[key] = leaf.toISOString();
      dates += `${dates === "" ? "" : ","}${JSON.stringify(key)}:["Date"]`;
    } else {
      const copy = copyJsonData(leaf, seen);
      if (copy === NOT_PLAIN) return undefined;
      json[key] = copy;
    }
  }
  const body = JSON.stringify(json);
  return dates === "" ? `{"json":${body}}` : `{"json":${body},"meta":{"values":{${dates}},"v":1}}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

const NOT_PLAIN = Symbol("not plain JSON data");

/**
 * A copy of JSON data superjson passes through unchanged (each object met once, no special
 * numbers), or NOT_PLAIN. The copy is what is written: read once, as superjson reads it (own
 * enumerable keys), so a getter, a hidden `toJSON` or an array's extra keys cannot make the text
 * differ from superjson's.
 */
function copyJsonData(value: unknown, seen: Set<object>): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? value : NOT_PLAIN;
    case "object": {
      if (seen.has(value)) return NOT_PLAIN;
      seen.add(value);
      if (Array.isArray(value)) {
        // Named keys on an array are walked by superjson but not written by JSON.
        if (Object.keys(value).length !== value.length) return NOT_PLAIN;
        const copy: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
          const item = copyJsonData(value[i], seen);
          if (item === NOT_PLAIN) return NOT_PLAIN;
          copy.push(item);
        }
        return copy;
      }
      if (!isPlainObject(value)) return NOT_PLAIN;
      const copy: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        if (REFUSED_KEYS.has(key)) return NOT_PLAIN;
        const item = copyJsonData(value[key], seen);
        if (item === NOT_PLAIN) return NOT_PLAIN;
        copy[key] = item;
      }
      return copy;
    }
    default:
      return NOT_PLAIN;
  }
}
