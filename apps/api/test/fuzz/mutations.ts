import fc from "fast-check";
import type { FuzzRequest } from "./fuzzHttp.ts";
import { extremeLike } from "./hostileValues.ts";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Paths into a value (objects and arrays, 20 levels at most), depth-first, the root first. */
function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(prefix);
  if (prefix.length >= 20) return out;
  if (Array.isArray(value)) for (const [i, v] of value.entries()) pathsOf(v, [...prefix, i], out);
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

function replaceAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaceAt(v, rest, replacement) : v));
  if (isRecord(value)) return { ...value, [head]: replaceAt(value[head], rest, replacement) };
  return value;
}

/** The value with one node anywhere inside it (the root included) replaced by a hostile one. */
export function mutatedSomewhere(base: fc.Arbitrary<unknown>, hostile: fc.Arbitrary<unknown>) {
  return fc.tuple(base, fc.nat(), hostile).map(([value, n, replacement]) => {
    const paths = pathsOf(value);
    return replaceAt(value, paths[n % paths.length]!, replacement);
  });
}

/** Paths to the leaves (strings, numbers, booleans) of a value. */
function leafPaths(value: unknown): (string | number)[][] {
  return pathsOf(value).filter((path) => {
    const leaf = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value);
    return typeof leaf === "string" || typeof leaf === "number" || typeof leaf === "boolean";
  });
}

/** The value with one leaf swapped for an extreme of its type (NUL in a string, an int past 32 bits). */
export function perturbedLeaf(base: fc.Arbitrary<unknown>) {
  return fc.tuple(base, fc.nat()).chain(([value, n]) => {
    const leaves = leafPaths(value);
    const path = leaves[n % Math.max(1, leaves.length)];
    if (path === undefined) return fc.constant(value);
    const leaf = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value);
    return extremeLike(leaf).map((extreme) => replaceAt(value, path, extreme));
  });
}

/** The value with a field the schema does not have. */
export function withUnknownField(base: fc.Arbitrary<unknown>, hostile: fc.Arbitrary<unknown>) {
  return fc
    .tuple(base, fc.string({ minLength: 1, maxLength: 8 }), hostile)
    .map(([value, key, extra]) => (isRecord(value) ? { ...value, [`fuzz_${key}`]: extra } : value));
}

/** The value without one of its fields. */
export function withoutAField(base: fc.Arbitrary<unknown>) {
  return fc.tuple(base, fc.nat()).map(([value, n]) => {
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    const drop = keys[n % Math.max(1, keys.length)];
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== drop));
  });
}

/** The request with its text body cut short at `cut` (a prefix of a JSON object is never JSON). */
export function truncatedBody(request: FuzzRequest, cut: number | undefined): FuzzRequest {
  const { body } = request;
  if (cut === undefined || typeof body !== "string" || body.length < 2) return request;
  return { ...request, body: body.slice(0, 1 + (cut % (body.length - 1))) };
}
