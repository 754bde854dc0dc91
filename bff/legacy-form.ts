import { parseId } from "./validation.js";

/**
 * The hand-written form checks of the domains not yet on parseInput (repairs, shared accounts).
 * New code uses a zod schema per use case (bff/validation.ts, ADR 5); remove this file when
 * the last caller has moved.
 */

const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_MULTILINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export type Fields = Record<string, string>;

/** One text field: trimmed, length-checked and free of control characters, or a zh-TW message. */
export function textField(
  fields: Fields,
  key: string,
  raw: unknown,
  o: { label: string; max: number; required?: boolean; multiline?: boolean },
): string | null {
  const value = (typeof raw === "string" ? raw : "").replace(/\r\n?/g, "\n").trim();
  if (value === "") {
    if (o.required) fields[key] = `請填寫${o.label}`;
    return null;
  }
  if (value.length > o.max) fields[key] = `${o.label}最多 ${o.max} 字（目前 ${value.length} 字）`;
  else if ((o.multiline ? CONTROL_MULTILINE : CONTROL).test(value) || LONE_SURROGATE.test(value))
    fields[key] = `${o.label}含有無法辨識的控制字元，請重新輸入`;
  return value;
}

/** The first `max` distinct ids of a list, with whether anything in it was not an id. */
export function idList(raw: unknown, max: number): { ids: number[]; bad: boolean } {
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null || raw === "" ? [] : [raw];
  const ids: number[] = [];
  let bad = false;
  for (const v of list) {
    const id = parseId(v);
    if (id === null) bad = true;
    else if (!ids.includes(id)) ids.push(id);
  }
  return { ids: ids.slice(0, max), bad: bad || ids.length > max };
}
