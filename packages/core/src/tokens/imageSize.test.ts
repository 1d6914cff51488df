import { describe, expect, it } from "vitest";
import { testPng } from "../testing/testImages.ts";
import { imageSizeOf, imageSizeOfBase64 } from "./imageSize.ts";

const u16be = (n: number) => [n >> 8, n & 0xff];
const u16le = (n: number) => [n & 0xff, n >> 8];
const u24le = (n: number) => [n & 0xff, (n >> 8) & 0xff, n >> 16];
const latin1 = (text: string) => [...Buffer.from(text, "latin1")];

/** A baseline JPEG header: SOI, an APP0 segment of `app0Bytes`, then the SOF0 frame header. */
function jpeg(width: number, height: number, app0Bytes = 14): Buffer {
  return Buffer.from([
    0xff,
    0xd8,
    0xff,
    0xe0,
    ...u16be(app0Bytes + 2),
    ...new Array(app0Bytes).fill(0),
    0xff,
    0xc0,
    ...u16be(17),
    8,
    ...u16be(height),
    ...u16be(width),
    3,
  ]);
}

const riff = (chunk: string, body: number[]) =>
  Buffer.from([...latin1("RIFF"), 0, 0, 0, 0, ...latin1("WEBP"), ...latin1(chunk), 0, 0, 0, 0, ...body]);

describe("imageSizeOf", () => {
  it("reads a PNG's size from its IHDR chunk", () => {
    expect(imageSizeOf(testPng(640, 480))).toEqual({ format: "png", width: 640, height: 480 });
  });

  it("reads a JPEG's size from its frame header, past metadata segments", () => {
    expect(imageSizeOf(jpeg(1024, 768))).toEqual({ format: "jpeg", width: 1024, height: 768 });
  });

  it("reads a GIF's logical screen size", () => {
    const gif = Buffer.from([...latin1("GIF89a"), ...u16le(320), ...u16le(200), 0, 0, 0]);
    expect(imageSizeOf(gif)).toEqual({ format: "gif", width: 320, height: 200 });
  });

  it("reads lossy, lossless and extended WebP sizes", () => {
    const lossy = riff("VP8 ", [0, 0, 0, 0x9d, 0x01, 0x2a, ...u16le(800), ...u16le(600), 0, 0]);
    // Lossless packs width-1 and height-1 into 14 bits each after the 0x2f signature.
    const bits = (799 | (599 << 14)) >>> 0;
    const lossless = riff("VP8L", [
      0x2f,
      bits & 0xff,
      (bits >> 8) & 0xff,
      (bits >> 16) & 0xff,
      bits >>> 24,
      0,
      0,
      0,
      0,
      0,
    ]);
    const extended = riff("VP8X", [0, 0, 0, 0, ...u24le(4095), ...u24le(2999)]);
    expect(imageSizeOf(lossy)).toEqual({ format: "webp", width: 800, height: 600 });
    expect(imageSizeOf(lossless)).toEqual({ format: "webp", width: 800, height: 600 });
    expect(imageSizeOf(extended)).toEqual({ format: "webp", width: 4096, height: 3000 });
  });

  it("gives undefined for bytes that are no image or are cut short", () => {
    expect(imageSizeOf(Buffer.from("hello, world"))).toBeUndefined();
    expect(imageSizeOf(testPng(4, 4).subarray(0, 20))).toBeUndefined();
    expect(imageSizeOf(jpeg(10, 10).subarray(0, 12))).toBeUndefined();
  });
});

describe("imageSizeOfBase64", () => {
  it("decodes the whole text when a JPEG's frame header lies past the first 48 KB", () => {
    const big = jpeg(2000, 1000, 60_000);
    expect(imageSizeOfBase64(big.toString("base64"))).toEqual({ format: "jpeg", width: 2000, height: 1000 });
  });

  it("reads a PNG from base64 text", () => {
    expect(imageSizeOfBase64(testPng(3, 7).toString("base64"))).toEqual({
      format: "png",
      width: 3,
      height: 7,
    });
  });
});
