import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { cell, textStaysText, xlsxStream } from "../../bff/exports/xlsx.js";

// Issue 14 item 6: exported text that starts like a formula stays text (OWASP CSV injection).
describe("export cells", () => {
  it("prefixes = + - @ TAB CR with an apostrophe; other text, plain signed numbers and numbers are untouched", () => {
    for (const v of ["=1+1", "+cmd|' /C calc'!A0", "-2+3+cmd|x", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x")'])
      expect(textStaysText(v), JSON.stringify(v)).toBe(`'${v}`);
    for (const v of ["王小明", "a=b", " =1", "'=1", "-5", "+886 2 1234 5678", "-", "2026/01/02 09:00", ""])
      expect(textStaysText(v), JSON.stringify(v)).toBe(v);
    expect(cell(42)).toBe(42);
    expect(cell(-3.5)).toBe(-3.5);
    expect(cell("\u0001=1")).toBe("'=1"); // control characters go first, so they cannot hide the sign
  });

  it("the written workbook holds the prefixed text as text and numbers as numbers", async () => {
    const rows = (async function* () {
      yield { name: '=HYPERLINK("http://127.0.0.1:9/","x")', n: -7 };
    })();
    const stream = xlsxStream({
      sheetName: "t",
      columns: [
        { header: "名稱", value: (r: { name: string; n: number }) => r.name },
        { header: "數量", value: (r: { name: string; n: number }) => r.n },
      ],
      rows,
    });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await new Response(stream).arrayBuffer()) as never);
    const row = wb.worksheets[0]!.getRow(2);
    expect(row.getCell(1).type).toBe(ExcelJS.ValueType.String);
    expect(row.getCell(1).value).toBe('\'=HYPERLINK("http://127.0.0.1:9/","x")');
    expect(row.getCell(2).type).toBe(ExcelJS.ValueType.Number);
    expect(row.getCell(2).value).toBe(-7);
  });
});
