/** Pixel size of an image. */
export interface ImageSize {
  width: number;
  height: number;
}

/** Width and height from the header of PNG, GIF, JPEG or extended WebP bytes; undefined when unreadable. */
export function imageSizeOf(bytes: Buffer): ImageSize | undefined {
  const b = bytes;
  if (b.length >= 24 && b.toString("latin1", 12, 16) === "IHDR")
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (b.length >= 10 && b.toString("latin1", 0, 3) === "GIF")
    return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  if (b.length >= 30 && b.toString("latin1", 8, 16) === "WEBPVP8X")
    return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
  if (b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  // JPEG: walk the segments to the first start-of-frame marker (not DHT, JPG or DAC).
  for (let at = 2; at + 9 <= b.length; at += 2 + b.readUInt16BE(at + 2)) {
    const marker = b[at + 1] ?? 0;
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker))
      return { width: b.readUInt16BE(at + 7), height: b.readUInt16BE(at + 5) };
  }
  return undefined;
}
