import sharp, { type Sharp } from "sharp";
import { IMAGE_MAX_BYTES, type ImageType } from "./images.js";

/**
 * Issue 14 item 6 (ADR 0026): a photo taken on a phone carries where it was taken (EXIF GPS),
 * the device, the time and often the owner's name (EXIF, XMP, IPTC, PNG text). None of it is
 * needed to show a repair or a venue, so every stored image is decoded and encoded again,
 * which keeps the pixels and nothing else: the EXIF orientation is applied to the pixels
 * first (so portrait photos stay upright once the tag is gone), colours are converted to
 * sRGB, anything after the image's end (a polyglot's payload) is left behind.
 *
 * sharp (libvips, prebuilt binaries) rather than stripping segments by hand: one well-kept
 * decoder for JPEG, PNG and WebP, whose default output already carries no metadata.
 */

// A decompression bomb (a small file that decodes into gigapixels) is refused before decoding;
// 80 megapixels is above any phone camera's full resolution (50 MP sensors are common).
const MAX_PIXELS = 80_000_000;
// libvips keeps decoded images in a cache by default: a server re-encodes each upload once.
sharp.cache(false);

const encoders: Record<ImageType, (img: Sharp) => Sharp> = {
  "image/jpeg": (img) => img.jpeg({ quality: 90 }),
  "image/png": (img) => img.png({ compressionLevel: 9 }),
  "image/webp": (img) => img.webp({ quality: 90 }),
};

/**
 * The image's pixels without metadata, in the same format (the stored content type stays
 * true), or null for bytes that do not decode or would grow past 5 MB: the caller refuses
 * them with IMAGE_REFUSED beside its own field.
 */
export async function withoutMetadata(bytes: Uint8Array, type: ImageType): Promise<Buffer | null> {
  try {
    const img = sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: "error" }).rotate();
    const out = await encoders[type](img).toBuffer();
    return out.length <= IMAGE_MAX_BYTES ? out : null;
  } catch {
    return null;
  }
}

/**
 * True when the image carries anything beyond pixels that a re-encode removes (EXIF, XMP,
 * IPTC, Photoshop tags, PNG text, or an orientation still to apply). The clean-up of stored
 * images re-encodes only these, so running it twice costs no second generation of JPEG loss.
 */
export async function hasMetadata(bytes: Uint8Array): Promise<boolean> {
  const m = await sharp(bytes, { limitInputPixels: MAX_PIXELS }).metadata();
  return Boolean(
    m.exif || m.xmp || m.iptc || m.tifftagPhotoshop || (m.comments?.length ?? 0) > 0 || (m.orientation ?? 1) !== 1,
  );
}
