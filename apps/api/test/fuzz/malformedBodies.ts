/** A request body as raw bytes or text, with the headers that describe it. */
export interface RawBody {
  label: string;
  body: string | Uint8Array;
  headers: Record<string, string>;
  /** Sent as JSON, it cannot be taken: not JSON even with bad bytes replaced, or past the body limit. */
  broken: boolean;
}

const BODY_LIMIT = 2 * 1024 * 1024;

/**
 * Whether no JSON parser may accept the body. An empty body is no input; a leading BOM may be
 * ignored (RFC 8259); bad UTF-8 inside a string decodes to U+FFFD, as Node's decoders do.
 */
function isBroken(body: string | Uint8Array): boolean {
  try {
    const text = typeof body === "string" ? body : new TextDecoder().decode(body);
    if (text === "") return false;
    JSON.parse(text.replace(/^\uFEFF/, ""));
    return Buffer.byteLength(text) > BODY_LIMIT;
  } catch {
    return true;
  }
}

const DEEP = 10_000;

/** Bodies no JSON parser should accept whole: broken syntax, bad bytes, nesting, sizes. */
export const malformedTexts: readonly { label: string; body: string | Uint8Array }[] = [
  { label: "empty", body: "" },
  { label: "open brace", body: "{" },
  { label: "truncated wrapper", body: '{"json":' },
  { label: "truncated string", body: '{"json":{"id":"' },
  { label: "trailing garbage", body: '{"json":{}}garbage' },
  { label: "single quotes", body: "{'json': {}}" },
  { label: "trailing comma", body: '{"json":{"a":1,},}' },
  { label: "comment", body: '{"json":/* hi */{}}' },
  { label: "NaN literal", body: '{"json":NaN}' },
  { label: "huge number literal", body: `{"json":1${"0".repeat(1_000)}}` },
  { label: "infinite exponent", body: '{"json":1e999}' },
  { label: "duplicate keys", body: '{"json":{"id":1,"id":"x"},"json":null}' },
  { label: "null byte", body: "\u0000" },
  { label: "escaped null byte in a key", body: '{"json":{"\\u0000":"\\u0000"}}' },
  { label: "lone surrogate escape", body: '{"json":{"name":"\\ud800"}}' },
  { label: "BOM", body: '\uFEFF{"json":{}}' },
  { label: `arrays ${DEEP} deep`, body: `${"[".repeat(DEEP)}${"]".repeat(DEEP)}` },
  { label: `objects ${DEEP} deep`, body: `{"json":${'{"a":'.repeat(DEEP)}1${"}".repeat(DEEP)}}` },
  { label: `unclosed ${DEEP} deep`, body: "[".repeat(DEEP) },
  { label: "over the body limit", body: `{"json":"${"x".repeat(2 * 1024 * 1024 + 10)}"}` },
  { label: "invalid UTF-8", body: Uint8Array.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1]) },
  {
    label: "invalid UTF-8 inside a string",
    body: Uint8Array.from([
      ...Buffer.from('{"json":{"name":"'),
      0xc3,
      0x28,
      0xed,
      0xa0,
      0x80,
      ...Buffer.from('"}}'),
    ]),
  },
  { label: "UTF-16 JSON", body: new Uint8Array(Buffer.from('{"json":{}}', "utf16le")) },
  { label: "JSONL garbage", body: '{"custom_id":"a"\n{]\n\u0000\n' },
];

/** Content types (and encodings) a client might mislabel a body with. */
export const contentTypes: readonly Record<string, string>[] = [
  { "content-type": "application/json" },
  { "content-type": "text/plain" },
  { "content-type": "application/x-www-form-urlencoded" },
  { "content-type": "multipart/form-data; boundary=fuzz" },
  { "content-type": "multipart/form-data" },
  { "content-type": "application/octet-stream" },
  { "content-type": "application/jsonl" },
  { "content-type": "application/json; charset=latin1" },
  { "content-type": "application/json; charset=utf-16" },
  { "content-type": "garbage/%%%; ;;=" },
  { "content-type": "application/json", "content-encoding": "gzip" },
  { "content-type": "application/json", "content-encoding": "bogus" },
];

const json = { "content-type": "application/json" };

/**
 * Each malformed text as JSON, and each content type over a well-formed and a badly encoded body:
 * the parsers differ by content type, not by text.
 */
export function malformedBodies(wellFormed: string): RawBody[] {
  const badBytes = malformedTexts.find((t) => t.label === "invalid UTF-8")!.body;
  return [
    ...malformedTexts.map(({ label, body }) => ({ label, body, headers: json, broken: isBroken(body) })),
    ...contentTypes.flatMap((headers) => [
      { label: `well-formed as ${JSON.stringify(headers)}`, body: wellFormed, headers, broken: false },
      { label: `invalid UTF-8 as ${JSON.stringify(headers)}`, body: badBytes, headers, broken: false },
    ]),
  ];
}

/** `?input=` values no transformer should accept: broken JSON, bad escapes, nesting. */
export const malformedQueryInputs: readonly string[] = [
  "",
  "{",
  "notjson",
  '{"json":',
  '{"json":{}}garbage',
  "%E0%A4%A",
  "%FF%FE%00",
  "%00",
  "null",
  '{"json":NaN}',
  `{"json":1${"0".repeat(400)}}`,
  `${"[".repeat(2_000)}${"]".repeat(2_000)}`,
  `{"json":${'{"a":'.repeat(1_000)}1${"}".repeat(1_000)}}`,
  "[".repeat(3_000),
  // Past Node's 16 KiB header limit: refused by the HTTP parser, before the app sees it.
  `${"[".repeat(10_000)}${"]".repeat(10_000)}`,
  '{"json":{"id":"\\ud800"}}',
  '{"json":{"__proto__":{"polluted":true}}}',
  '{"json":null,"meta":{"values":["undefined"]}}',
  '{"json":{"id":1},"meta":{"values":{"id":[["class","Nope"]]}}}',
  '{"json":{"id":1},"meta":{"values":{"__proto__.x":["Date"]}}}',
  '{"json":{"id":1},"meta":{"referentialEqualities":{"id":["x.y"]}}}',
];
