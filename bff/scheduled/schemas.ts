import { z } from "zod";
import { parseDay } from "../items/queries.js";
import { cleanText } from "../text.js";
import { field, type FormInput } from "../validation.js";
import { scheduledTypeLabels } from "./labels.js";

export const STATES = ["pending", "done", "failed", "cancelled"] as const;
export type State = (typeof STATES)[number];

/**
 * A filter value from the URL: blank is no filter; one that does not read is dropped and
 * named in `notice`, so the admin sees why the list is wider than asked.
 */
const noted = <T extends string>(read: (s: string) => T | null, notice: string) =>
  z
    .unknown()
    .optional()
    .transform((v) => {
      const s = cleanText(v, 50).trim();
      const value = s ? read(s) : null;
      return { value: (value ?? "") as T | "", notice: s && value === null ? notice : null };
    });
const isState = (s: string): s is State => (STATES as readonly string[]).includes(s);

/**
 * 預約管理作業's filters (ACC-16): keyword, type, state and 預約執行時間 from / to (Taipei
 * days, both inclusive). Bad filter input never fails the page.
 */
export const scheduledQuery = z
  .object({
    q: field.keyword(50),
    type: noted((s) => (s in scheduledTypeLabels ? s : null), "預約類型不正確，已顯示全部類型。"),
    state: noted((s) => (isState(s) ? s : null), "狀態不正確，已顯示全部狀態。"),
    from: noted(parseDay, "執行時間起日期格式不正確（應為 YYYY-MM-DD），已忽略。"),
    to: noted(parseDay, "執行時間迄日期格式不正確（應為 YYYY-MM-DD），已忽略。"),
    page: field.page(),
  })
  .transform(({ q, type, state, from, to, page }) => {
    const notices = [type, state, from, to].flatMap((n) => (n.notice ? [n.notice] : []));
    let [start, end] = [from.value, to.value];
    if (start && end && start > end) {
      notices.push("執行時間起日晚於迄日，已對調。");
      [start, end] = [end, start];
    }
    return { applied: { q, type: type.value, state: state.value, from: start, to: end }, notices, page };
  });
export type ScheduledQuery = FormInput<typeof scheduledQuery>;
export type AppliedFilter = z.output<typeof scheduledQuery>["applied"];
