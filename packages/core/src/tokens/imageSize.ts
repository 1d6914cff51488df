/** Image formats Sluice reads sizes from (those OpenAI and Anthropic both take). */
export type ImageFormat = "png" | "jpeg" | "gif" | "webp";

/** An image's format and pixel size, read from its header. */
export interface ImageSize {
  format: ImageFormat;
  width: number;
  height: number;
}

const u16be = (b: Uint8Array, at: number) => ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
const u16le = (b: Uint8Array, at: number) => (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
const u24le = (b: Uint8Array, at: number) => u16le(b, at) | ((b[at + 2] ?? 0) << 16);
const u32be = (b: Uint8Array, at: number) => u16be(b, at) * 65_536 + u16be(b, at + 2);
const ascii = (b: Uint8Array, at: number, length: number) =>
  String.fromCharCode(...b.subarray(at, at + length));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngSize(b: Uint8Array): ImageSize | undefined {
  // The IHDR chunk must come first: width and height are its first two fields.
  if (b.length < 24 || ascii(b, 12, 4) !== "IHDR") return undefined;
  return sized("png", u32be(b, 16), u32be(b, 20));
}

function gifSize(b: Uint8Array): ImageSize | undefined {
  if (b.length < 10) return undefined;
  return sized("gif", u16le(b, 6), u16le(b, 8));
}

function webpSize(b: Uint8Array): ImageSize | undefined {
  if (b.length < 30) return undefined;
  const chunk = ascii(b, 12, 4);
  // Lossy: the VP8 frame header holds 14-bit sizes after its start code.
  if (chunk === "VP8 ") return sized("webp", u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
  // Lossless: 14-bit width-1 and height-1 packed after the 0x2f signature byte.
  if (chunk === "VP8L" && b[20] === 0x2f) {
    const bits = u16le(b, 21) | (u16le(b, 23) << 16);
    return sized("webp", (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  // Extended: 24-bit canvas width-1 and height-1.
  if (chunk === "VP8X") return sized("webp", u24le(b, 24) + 1, u24le(b, 27) + 1);
  return undefined;
}

// Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpegSize(b: Uint8Array): ImageSize | undefined {
  let at = 2;
  while (at + 9 <= b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1] ?? 0;
    // Fill bytes and standalone markers (TEM, RSTn) have no length field.
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (isStartOfFrame(marker)) return sized("jpeg", u16be(b, at + 7), u16be(b, at + 5));
    if (marker === 0xd9 || marker === 0xda) return undefined;
    at += 2 + u16be(b, at + 2);
  }
  return undefined;
}

function sized(format: ImageFormat, width: number, height: number): ImageSize | undefined {
  return width > 0 && height > 0 ? { format, width, height } : undefined;
}

/** The format and size of a PNG, JPEG, GIF or WebP image from its bytes; undefined when unreadable. */
export function imageSizeOf(bytes: Uint8Array): ImageSize | undefined {
  if (PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) return pngSize(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return jpegSize(bytes);
  const head = ascii(bytes, 0, 6);
  if (head === "GIF87a" || head === "GIF89a") return gifSize(bytes);
  if (head.startsWith("RIFF") && ascii(bytes, 8, 4) === "WEBP") return webpSize(bytes);
  return undefined;
}

// Every format but JPEG has its size in the first 30 bytes; JPEG's frame header usually follows
// metadata (EXIF, ICC profiles) of at most a few tens of kilobytes, so only a prefix is decoded first.
const PREFIX_BASE64_CHARS = 4 * 16_384;

/** Like {@link imageSizeOf}, for base64 text; decodes only a prefix unless the size lies further in. */
export function imageSizeOfBase64(data: string): ImageSize | undefined {
  const prefix = Buffer.from(data.slice(0, PREFIX_BASE64_CHARS), "base64");
  const size = imageSizeOf(prefix);
  if (size !== undefined || data.length <= PREFIX_BASE64_CHARS) return size;
  return imageSizeOf(Buffer.from(data, "base64"));
}
