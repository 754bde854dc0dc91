import {
  MaxPartSizeExceededError,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
} from "@remix-run/node";
import { readForm } from "./errors.server";

export const PHOTO_REFUSED = "僅接受 JPEG、PNG、WebP 圖片，每張不超過 5 MB";
export const MAX_PHOTOS = 3;
export const TICKET_FIELDS = ["typeId", "phone", "siteId", "floor", "description"];

/**
 * A report form, multipart or not: its fields, and the bytes of up to 3 photos (field
 * `photos`). Too many photos, or one over 5 MB, comes back as a zh-TW message instead;
 * the service sniffs the bytes of the rest.
 */
export async function readRepairForm(
  request: Request,
): Promise<{ form: FormData; photos: Uint8Array[]; error?: string }> {
  const isMultipart = (request.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data");
  if (!isMultipart) return { form: await readForm(request), photos: [] };
  let files = 0;
  let form: FormData;
  try {
    form = await unstable_parseMultipartFormData(
      request,
      unstable_createMemoryUploadHandler({
        maxPartSize: 5_242_880,
        filter: ({ name, filename }) => {
          if (!filename) return true;
          if (name !== "photos") return false;
          files += 1;
          return files <= MAX_PHOTOS;
        },
      }),
    );
  } catch (e) {
    const tooBig =
      e instanceof MaxPartSizeExceededError || (e as Error)?.constructor?.name === "MaxPartSizeExceededError";
    return { form: new FormData(), photos: [], error: tooBig ? PHOTO_REFUSED : "上傳失敗，請重新選擇照片後再試一次。" };
  }
  if (files > MAX_PHOTOS) return { form, photos: [], error: `每筆報修最多 ${MAX_PHOTOS} 張照片` };
  const photos: Uint8Array[] = [];
  for (const f of form.getAll("photos")) {
    if (typeof f === "string" || f.size === 0) continue;
    photos.push(new Uint8Array(await f.arrayBuffer()));
  }
  return { form, photos };
}
