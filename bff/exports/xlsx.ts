import { once } from "node:events";
import { PassThrough, Readable } from "node:stream";
import ExcelJS from "exceljs";
import { taipeiParts } from "../time.js";

/** One column of an export: a zh-TW header and how to read a row's cell. */
export interface XlsxColumn<T> {
  header: string;
  /** Width in characters (CJK counts roughly double). */
  width?: number;
  value: (row: T) => string | number | null | undefined;
}

export const XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/**
 * EXP: writes an .xlsx straight into a Node stream, one committed row at a time, and
 * hands back a web ReadableStream for a Response. Rows come from an async iterable (see
 * `keysetRows`), so neither the reads nor the writer hold the whole result in memory:
 * no shared strings, no styles, and the writer waits for the reader when it falls behind.
 */
export function xlsxStream<T>(opts: {
  sheetName: string;
  columns: XlsxColumn<T>[];
  rows: AsyncIterable<T>;
  onError?: (e: unknown) => void;
}): ReadableStream<Uint8Array> {
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const sheet = workbook.addWorksheet(opts.sheetName.slice(0, 31));
  sheet.columns = opts.columns.map((c, i) => ({
    key: `c${i}`,
    width: c.width ?? Math.max(10, c.header.length * 2 + 2),
  }));

  void (async () => {
    try {
      sheet.addRow(opts.columns.map((c) => c.header)).commit();
      for await (const row of opts.rows) {
        sheet.addRow(opts.columns.map((c) => cell(c.value(row)))).commit();
        if (out.writableNeedDrain) await once(out, "drain");
      }
      sheet.commit();
      await workbook.commit();
    } catch (e) {
      opts.onError?.(e);
      out.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  })();
  return Readable.toWeb(out) as unknown as ReadableStream<Uint8Array>;
}

/** Excel refuses control characters in cells and cuts text at 32,767 characters. */
export function cell(v: string | number | null | undefined): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return v;
  return textStaysText(v.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")).slice(0, 32_767);
}

/** What a spreadsheet reads as the start of a formula (OWASP CSV injection): = + - @, TAB, CR. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** Signs and digits only ("-5", "+886 2 1234"): no function or link can hide there. */
const PLAIN_NUMBER = /^[-+]?[\d.,:/ ]*$/;

/**
 * Issue 14 item 6 (ASVS V5.3.10-style output encoding for spreadsheets): text someone typed —
 * an account's name, a venue, a reason — is written as a text cell, but once a user edits
 * that cell in Excel (F2, Enter) a leading `=HYPERLINK(...)` or `@SUM(...)` becomes a live
 * formula. A leading apostrophe keeps it text through any edit, as OWASP advises. (exceljs
 * 4.4 cannot write the `quotePrefix` style attribute, and the streaming writer runs without
 * styles anyway, so the apostrophe is part of the value.) Numbers are passed as numbers and
 * never reach here; text that is only a signed number is left as it is.
 */
export function textStaysText(v: string): string {
  return FORMULA_START.test(v) && !PLAIN_NUMBER.test(v) ? `'${v}` : v;
}

/**
 * Reads a query page by page, each page starting after the last row of the one before
 * (keyset paging), so memory stays flat whatever the number of rows.
 */
export async function* keysetRows<T>(
  fetchPage: (after: T | null, limit: number) => Promise<T[]>,
  pageSize = 500,
): AsyncGenerator<T> {
  let after: T | null = null;
  for (;;) {
    const page = await fetchPage(after, pageSize);
    for (const row of page) yield row;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!;
  }
}

const pad = (n: number) => String(n).padStart(2, "0");

/** SPEC: YYYY/MM/DD HH:mm in Taipei time, exports included. */
export function taipeiDateTime(d: Date | null | undefined): string {
  if (!d) return "";
  const p = taipeiParts(d);
  return `${p.year}/${pad(p.month)}/${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}

/** `attachment` with a zh-TW file name (RFC 6266 / 5987) and an ASCII fallback. */
export function attachmentHeaders(fileName: string): Record<string, string> {
  return {
    "Content-Type": XLSX_CONTENT_TYPE,
    "Content-Disposition": `attachment; filename="export.xlsx"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
    "Cache-Control": "private, no-store",
  };
}
