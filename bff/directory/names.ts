/**
 * givenName / sn for AD from the portal's one-field name.
 *
 * Chinese names (the usual case) are written surname first with no space: the surname is
 * the first character and the given name the rest (陳美玲 → sn 陳, givenName 美玲), except
 * for the common two-character surnames (歐陽娜娜 → 歐陽 / 娜娜) when at least one
 * character is left for the given name. A name with spaces (a Western name in Latin
 * letters) splits at the last space: "Anna Marie Lin" → givenName "Anna Marie", sn "Lin".
 * A one-character name becomes the surname with an empty given name (AD allows it).
 */
const COMPOUND_SURNAMES = new Set([
  "歐陽",
  "司馬",
  "上官",
  "諸葛",
  "東方",
  "皇甫",
  "尉遲",
  "公孫",
  "長孫",
  "慕容",
  "司徒",
  "夏侯",
  "令狐",
  "張簡",
  "范姜",
  "端木",
  "西門",
  "南宮",
  "軒轅",
  "呼延",
]);

export function splitName(fullName: string): { surname: string; givenName: string } {
  const name = fullName.trim().replace(/\s+/g, " ");
  if (name.includes(" ")) {
    const at = name.lastIndexOf(" ");
    return { surname: name.slice(at + 1), givenName: name.slice(0, at) };
  }
  const chars = Array.from(name); // code points: a rare character outside the BMP stays whole
  const two = chars.slice(0, 2).join("");
  const cut = chars.length >= 3 && COMPOUND_SURNAMES.has(two) ? 2 : 1;
  return { surname: chars.slice(0, cut).join(""), givenName: chars.slice(cut).join("") };
}
