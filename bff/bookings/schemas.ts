import { z } from "zod";
import type { Item } from "../../db/schema.js";
import { DomainError } from "../errors.js";
import { none } from "../items/schemas.js";
import { minutesOf, parseTaipeiLocal, taipeiDate, taipeiMinuteOfDay } from "../time.js";
import { field, type FormInput, type IdParam, parseId, parseInput, whenValid } from "../validation.js";

/**
 * 預約 and 審核's use cases, one schema each (ADR 5), with the zh-TW message of every field.
 * Form rules and the item's own limits (capacity, bookable hours) only: whether the slot is
 * free or the driver bound to the car is the use case's to ask the database.
 */

export const REASON_MAX = 500;
export const COMMENT_MAX = 500;
/** How far ahead a slot may be held (decision: half a year, so nobody squats a room for years). */
export const BOOKING_HORIZON_DAYS = 180;
const DAY_MS = 86_400_000;

/** A Taipei "YYYY-MM-DDTHH:MM" that is a real minute, as an instant. */
const instant = (message: string) =>
  z.unknown().transform((v, ctx) => {
    const at = parseTaipeiLocal(v);
    if (at) return at;
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  });

/** A head count typed into the form: 1 … 999,999, at most `limit` (the item's) when it has one. */
const headCount = (label: string, limit: number | null, over: string) =>
  z
    .preprocess(
      (v) => (typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : v),
      z
        .string({ error: `請填寫${label}（正整數）` })
        .regex(/^\d{1,6}$/, { error: `請填寫${label}（正整數）` })
        .transform(Number)
        .refine((n) => n > 0, { error: `請填寫${label}（正整數）` }),
    )
    .refine((n) => limit === null || n <= limit, { error: over });

/** 派遣司機: the select's blank option is 不需司機; anything else must be an id (spaces are not blank here). */
const driver = z.preprocess((v) => (v === undefined || v === "" ? null : v), field.id("請選擇司機").nullable());

type Maybe<T> = z.ZodType<T | null, unknown>;

/**
 * BKG-1: a request for this item. A venue asks 使用人數; a car 乘客人數, 目的地 and, if wanted,
 * a 派遣司機 (only the form's own fields are read; the other kind's are null).
 */
export function bookingRequest(item: Item, now: Date) {
  const car = item.kind !== "venue";
  const only = <T>(forCar: boolean, schema: z.ZodType<T, unknown>): Maybe<T> =>
    (forCar === car ? schema : none) as Maybe<T>;
  return z
    .object({
      startsAt: instant("請選擇開始時間"),
      endsAt: instant("請選擇結束時間"),
      reason: field.text("借用事由", REASON_MAX, { multiline: true }),
      attendees: only(false, headCount("使用人數", item.capacity, `使用人數超過容納人數 ${item.capacity} 人`)),
      passengers: only(
        true,
        headCount("乘客人數", item.passenger_limit, `乘客人數超過上限 ${item.passenger_limit} 人`),
      ),
      destination: only(true, field.text("目的地", 200)),
      driverId: only(true, driver),
    })
    .superRefine(
      (v, ctx) => {
        const problem = timeProblem(item, v.startsAt, v.endsAt, now);
        if (problem) ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
      },
      { when: whenValid("startsAt", "endsAt") },
    );
}
export type BookingRequestInput = FormInput<ReturnType<typeof bookingRequest>> & { itemId?: IdParam };

/** BKG-1 times: forward, in the future, within the horizon, inside the item's bookable hours. */
function timeProblem(item: Item, start: Date, end: Date, now: Date): { field: string; message: string } | null {
  if (end <= start) return { field: "endsAt", message: "結束時間必須晚於開始時間" };
  if (start < now) return { field: "startsAt", message: "開始時間已經過去，請選擇未來的時間" };
  if (end.getTime() - start.getTime() > 31 * DAY_MS) return { field: "endsAt", message: "單次借用不可超過 31 天" };
  if (start.getTime() - now.getTime() > BOOKING_HORIZON_DAYS * DAY_MS)
    return { field: "startsAt", message: `只能預約 ${BOOKING_HORIZON_DAYS} 天內的時段` };
  if (!item.open_from || !item.open_to) return null;
  const open = minutesOf(item.open_from);
  const close = minutesOf(item.open_to);
  const hours = `${item.open_from.slice(0, 5)}–${item.open_to.slice(0, 5)}`;
  const startMin = taipeiMinuteOfDay(start);
  const endMin = taipeiMinuteOfDay(end) === 0 && end > start ? 24 * 60 : taipeiMinuteOfDay(end);
  if (item.kind === "venue") {
    if (taipeiDate(start) !== taipeiDate(new Date(end.getTime() - 1)))
      return { field: "endsAt", message: "場地借用須在同一天內" };
    if (startMin < open || endMin > close) return { field: "startsAt", message: `請在開放借用時間 ${hours} 內選擇` };
    return null;
  }
  // A car may be out for days; pick-up and return fall inside bookable hours.
  if (startMin < open || startMin > close)
    return { field: "startsAt", message: `取車時間須在開放借用時間 ${hours} 內` };
  if (endMin < open || endMin > close) return { field: "endsAt", message: `還車時間須在開放借用時間 ${hours} 內` };
  return null;
}

export const REJECT_NEEDS_COMMENT = "請填寫駁回原因";
const comment = field.optionalText("審核說明", COMMENT_MAX, { multiline: true });

/** BKG-3: 核准 or 駁回, and the 審核說明 (required to reject). */
export const decisionInput = z
  .object({
    decision: z
      .enum(["approve", "reject"], { error: "請選擇核准或駁回" })
      .transform((d) => (d === "approve" ? "approved" : "rejected")),
    comment,
  })
  .refine((v) => v.decision === "approved" || v.comment !== null, {
    path: ["comment"],
    error: REJECT_NEEDS_COMMENT,
    when: whenValid("decision", "comment"),
  });
export type DecisionInput = FormInput<typeof decisionInput>;
export type Decision = z.output<typeof decisionInput>;

/** BKG-5: the 審核說明 edited afterwards (whether it may be blank depends on the decision). */
export const commentInput = z.object({ comment });
export type CommentInput = FormInput<typeof commentInput>;

/** BKG-3 batch: the ticked bookings; one that is not an id is skipped, at most 200 at once. */
export const batchInput = z.object({
  ids: z
    .array(z.unknown())
    .catch([])
    .transform((list) => [...new Set(list.map(parseId).filter((n): n is number => n !== null))].slice(0, 200))
    .refine((ids) => ids.length > 0, { error: "請勾選要審核的申請" }),
});

/** A number from a URL, clamped to [min, max]; anything not a number is `fallback`. */
const clamped = (min: number, max: number, fallback: number) =>
  z.preprocess((v) => {
    const n = Math.trunc(Number(v));
    return Number.isFinite(n) && n !== 0 ? Math.min(max, Math.max(min, n)) : fallback;
  }, z.number());

/** A day from a URL: "YYYY-MM-DD" that is a real day, else no day (today, or no filter). */
const urlDay = field.day("").nullable().catch(null);

/** 預約 (BKG-1): venues or cars, the days shown (at most two weeks), a keyword. Never refused. */
export const availabilityQuery = z.object({
  kind: z.enum(["venue", "car"]).catch("venue"),
  from: urlDay,
  days: clamped(1, 14, 1),
  q: field.keyword(50),
  limit: clamped(1, 2000, 200),
  page: field.page(),
});
export type AvailabilityQuery = FormInput<typeof availabilityQuery>;

/** One item's page: the days shown. */
export const windowQuery = availabilityQuery.pick({ from: true, days: true });

/** 審核 (BKG-3): status (未審核 by default), keyword, a day the booking touches, page. */
export const reviewQuery = z.object({
  status: z.enum(["pending", "approved", "rejected", "cancelled", "all"]).catch("pending"),
  q: field.keyword(50),
  date: urlDay,
  page: clamped(1, 1000, 1),
});
export type ReviewQuery = FormInput<typeof reviewQuery>;

/**
 * parseInput, with the sentence these screens show above the form chosen by the use case
 * (the request form always says 請修正標示的欄位。; a decision names what to do). The fields
 * are parseInput's, one message beside each.
 */
export function parseBooking<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  summary: (fields: Record<string, string>) => string,
): z.output<S> {
  try {
    return parseInput(schema, raw);
  } catch (e) {
    if (!(e instanceof DomainError) || e.code !== "invalid") throw e;
    throw new DomainError("invalid", summary(e.fields), e.fields);
  }
}

export const formSummary = () => "請修正標示的欄位。";
/** A decision's summary, as 審核 has always said it. */
export const decisionSummary = (fields: Record<string, string>) =>
  fields.decision
    ? "請選擇核准或駁回。"
    : fields.comment === REJECT_NEEDS_COMMENT
      ? "駁回時請填寫審核說明。"
      : fields.ids
        ? "請勾選要審核的申請。"
        : "請修正標示的欄位。";

/** 找空場地 (issue 18): a time range on one day, optionally a head count and a site. */
export const findFreeQuery = z
  .object({
    kind: z.enum(["venue", "car"]).catch("venue"),
    date: field.day("請選擇日期"),
    start: field.time("請選擇開始時間"),
    end: field.time("請選擇結束時間"),
    people: z.preprocess(
      (v) => (v === undefined || v === null || (typeof v === "string" && v.trim() === "") ? null : v),
      field.int("人數", 1, 9999).nullable(),
    ),
    siteId: field.optionalId("請選擇有效的地點"),
    page: field.page(),
  })
  .refine((v) => v.end > v.start, {
    path: ["end"],
    error: "結束時間必須晚於開始時間",
    when: whenValid("start", "end"),
  });
export type FindFreeQuery = FormInput<typeof findFreeQuery>;
