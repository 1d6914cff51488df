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
 * class instances, a Date under a key with a dot or backslash (its path would need escaping),
 * refused keys. The test compares the two on such values.
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
    } else if (isJsonData(leaf, seen)) {
      json[key] = leaf;
    } else {
      return undefined;
    }
  }
  const body = JSON.stringify(json);
  return dates === "" ? `{"json":${body}}` : `{"json":${body},"meta":{"values":{${dates}},"v":1}}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** JSON data superjson passes through unchanged: each object met once, no special numbers. */
function isJsonData(value: unknown, seen: Set<object>): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (seen.has(value)) return false;
      seen.add(value);
      if (Array.isArray(value)) {
        // A hole reads as undefined, which superjson annotates.
        for (let i = 0; i < value.length; i++) if (!isJsonData(value[i], seen)) return false;
        return true;
      }
      if (!isPlainObject(value)) return false;
      for (const key of Object.keys(value)) {
        if (REFUSED_KEYS.has(key) || !isJsonData(value[key], seen)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
