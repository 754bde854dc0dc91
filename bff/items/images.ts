/** Venue images (ITM-1 場地相關圖檔): what is accepted, judged by the bytes only. */
export const IMAGE_MAX_BYTES = 5_242_880;
export const IMAGES_PER_ITEM = 10;
export const IMAGE_REFUSED = "僅接受 JPEG、PNG、WebP 圖片，每張不超過 5 MB";

export type ImageType = "image/jpeg" | "image/png" | "image/webp";

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((x, i) => b[at + i] === x);
const ascii = (b: Uint8Array, at: number, len: number) => String.fromCharCode(...b.subarray(at, at + len));

/**
 * The image type from the magic bytes and the file's frame (never the declared type or the
 * file name), or null when the bytes are not a whole JPEG, PNG or WebP: a cut-off upload or
 * a renamed PDF is refused.
 */
export function sniffImage(bytes: Uint8Array): ImageType | null {
  if (bytes.length < 16) return null;
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    // The end-of-image marker, allowing for padding some cameras append.
    let end = bytes.length;
    while (end > 2 && bytes[end - 1] === 0x00) end--;
    return bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9 ? "image/jpeg" : null;
  }
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    // IHDR first, IEND (with its CRC) last.
    return ascii(bytes, 12, 4) === "IHDR" && ascii(bytes, bytes.length - 8, 4) === "IEND" ? "image/png" : null;
  }
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") {
    const riffSize = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) >>> 0;
    const chunk = ascii(bytes, 12, 4);
    const whole = riffSize + 8 === bytes.length || riffSize + 9 === bytes.length; // odd sizes are padded
    return whole && (chunk === "VP8 " || chunk === "VP8L" || chunk === "VP8X") ? "image/webp" : null;
  }
  return null;
}
