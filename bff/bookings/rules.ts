import type { Item } from "../../db/schema.js";
import { DomainError } from "../errors.js";
import { cleanText } from "../text.js";
import { minutesOf, parseTaipeiLocal, taipeiDate, taipeiMinuteOfDay } from "../time.js";
import { parseId } from "../validation.js";

export interface BookingInput {
  itemId: unknown;
  startsAt: unknown; // Taipei "YYYY-MM-DDTHH:MM"
  endsAt: unknown;
  reason: unknown;
  attendees?: unknown;
  passengers?: unknown;
  destination?: unknown;
  driverId?: unknown;
}

export interface ValidBooking {
  start: Date;
  end: Date;
  reason: string;
  attendees: number | null;
  passengers: number | null;
  destination: string | null;
  driverId: number | null;
}

export const REASON_MAX = 500;
/** How far ahead a slot may be held (decision: half a year, so nobody squats a room for years). */
export const BOOKING_HORIZON_DAYS = 180;

const positiveInt = (v: unknown): number | null => {
  if (typeof v !== "string" && typeof v !== "number") return null;
  const s = String(v).trim();
  return /^\d{1,6}$/.test(s) && Number(s) > 0 ? Number(s) : null;
};

/** The one id parser (field.id in bff/validation.ts), kept under this name for the bookings code. */
export { parseId };

/**
 * BKG-1 rules for one request against its item, in zh-TW. Throws one DomainError listing
 * every field that is wrong, so the form can show them all at once.
 */
export function validateBooking(item: Item, input: BookingInput, now: Date): ValidBooking {
  const fields: Record<string, string> = {};
  const start = parseTaipeiLocal(input.startsAt);
  const end = parseTaipeiLocal(input.endsAt);
  if (!start) fields.startsAt = "請選擇開始時間";
  if (!end) fields.endsAt = "請選擇結束時間";

  const reason = cleanText(input.reason, REASON_MAX + 1).trim();
  if (reason === "") fields.reason = "請填寫借用事由";
  else if (reason.length > REASON_MAX) fields.reason = `借用事由請在 ${REASON_MAX} 字以內`;

  let attendees: number | null = null;
  let passengers: number | null = null;
  let destination: string | null = null;
  let driverId: number | null = null;
  if (item.kind === "venue") {
    attendees = positiveInt(input.attendees);
    if (attendees === null) fields.attendees = "請填寫使用人數（正整數）";
    else if (item.capacity !== null && attendees > item.capacity)
      fields.attendees = `使用人數超過容納人數 ${item.capacity} 人`;
  } else {
    passengers = positiveInt(input.passengers);
    if (passengers === null) fields.passengers = "請填寫乘客人數（正整數）";
    else if (item.passenger_limit !== null && passengers > item.passenger_limit)
      fields.passengers = `乘客人數超過上限 ${item.passenger_limit} 人`;
    destination = cleanText(input.destination, 201).trim();
    if (destination === "") fields.destination = "請填寫目的地";
    else if (destination.length > 200) fields.destination = "目的地請在 200 字以內";
    const driver = input.driverId === undefined || input.driverId === "" ? null : parseId(input.driverId);
    if (input.driverId !== undefined && input.driverId !== "" && driver === null) fields.driverId = "請選擇司機";
    driverId = driver;
  }

  if (start && end) {
    const timeProblem = checkTimes(item, start, end, now);
    if (timeProblem) fields[timeProblem.field] = timeProblem.message;
  }
  if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);
  return { start: start!, end: end!, reason, attendees, passengers, destination, driverId };
}

function checkTimes(item: Item, start: Date, end: Date, now: Date): { field: string; message: string } | null {
  if (end <= start) return { field: "endsAt", message: "結束時間必須晚於開始時間" };
  if (start < now) return { field: "startsAt", message: "開始時間已經過去，請選擇未來的時間" };
  if (end.getTime() - start.getTime() > 31 * 86_400_000) return { field: "endsAt", message: "單次借用不可超過 31 天" };
  if (start.getTime() - now.getTime() > BOOKING_HORIZON_DAYS * 86_400_000)
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
