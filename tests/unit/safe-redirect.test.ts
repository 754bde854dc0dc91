import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { safeRedirect } from "../../app/utils/session.server.js";

const ORIGIN = "https://portal.tainan.gov.tw";

/** What a browser does with a Location: resolve it against the page it came from. */
const landsOn = (location: string) => new URL(location, `${ORIGIN}/login`);

/** Strings built from the pieces open-redirect tricks are made of, plus anything at all. */
const tricky = fc.oneof(
  fc.string({ unit: "grapheme-composite" }),
  fc.string({ unit: "binary" }),
  fc
    .array(
      fc.constantFrom(
        "/",
        "\\",
        "//",
        "/\\",
        "\t",
        "\n",
        "\r",
        "\u3000",
        "\u0000",
        " ",
        "%2F",
        "%09",
        "%5C",
        ":",
        "@",
        "evil.example",
        "javascript:alert(1)",
        "http:",
        "https://",
        ".",
        "..",
        "?",
        "#",
        "me",
        "預約",
        "\u202e",
      ),
      { maxLength: 8 },
    )
    .map((parts) => parts.join("")),
);

describe("safeRedirect (issue 14 item 3)", () => {
  it("never leaves the portal's origin and never returns a value a header refuses", () => {
    fc.assert(
      fc.property(tricky, (value) => {
        const to = safeRedirect(value);
        expect(to.startsWith("/")).toBe(true);
        expect(landsOn(to).origin).toBe(ORIGIN);
        // A Location header value must be a ByteString without CR/LF: `new Headers` would throw (a 500).
        expect(() => new Headers({ Location: to })).not.toThrow();
        expect(/[\u0000-\u0020\u007f-\uffff]/.test(to)).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });

  it("keeps the portal's own paths, with their query and fragment", () => {
    expect(safeRedirect("/me")).toBe("/me");
    expect(safeRedirect("/book/12?date=2026-12-04#slots")).toBe("/book/12?date=2026-12-04#slots");
    expect(safeRedirect("/admin/accounts?q=%E7%8E%8B")).toBe("/admin/accounts?q=%E7%8E%8B");
    expect(safeRedirect("/預約")).toBe("/%E9%A0%90%E7%B4%84");
  });

  it("refuses the tricks seen in the probe and their cousins", () => {
    for (const value of [
      "/\t/attacker.example",
      "/\n/attacker.example",
      "/\r\nSet-Cookie: x=1",
      "/\u3000/attacker.example",
      "//attacker.example",
      "/\\attacker.example",
      // Dot segments that resolve to a path starting with `//` (found by the property above).
      "/../\\attacker.example",
      "/./\\attacker.example",
      "/a/../..//attacker.example",
      "https://attacker.example/",
      "javascript:alert(1)",
      "",
      undefined,
      42,
    ]) {
      expect(safeRedirect(value), JSON.stringify(value)).toBe("/");
    }
  });
});
