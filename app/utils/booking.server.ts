/**
 * Booking screens' server-side helpers: Taipei dates from query strings and the free/taken
 * layout of one day, computed in the loader so the page only renders plain data.
 */
import { parseTaipeiLocal, startOfTaipeiDay, taipeiDate, taipeiParts } from "../../bff/time.js";

export const STEP_MINUTES = 30;
const DAY_MS = 86_400_000;

export type StepState = "free" | "taken" | "past";

export interface DaySegment {
  from: string; // "HH:MM"
  to: string; // "HH:MM", "24:00" at midnight
  taken: boolean;
  /** Ends before now: cannot be requested any more. */
  past: boolean;
}

export interface DayLayout {
  date: string;
  label: string; // "11/30（一）"
  open: string;
  close: string;
  steps: StepState[];
  segments: DaySegment[];
  /** Taken ranges of this day within bookable hours, for the text summary. */
  takenText: string[];
}

const pad = (n: number) => String(n).padStart(2, "0");
const hhmm = (min: number) => `${pad(Math.floor(min / 60))}:${pad(min % 60)}`;
const weekdays = ["日", "一", "二", "三", "四", "五", "六"];

export function todayTaipei(now = new Date()): string {
  return taipeiDate(now);
}

/** A real calendar date "YYYY-MM-DD" between 2000 and 2099, or null. */
export function validDate(value: unknown): string | null {
  if (typeof value !== "string" || !/^20\d{2}-\d{2}-\d{2}$/.test(value)) return null;
  return parseTaipeiLocal(`${value}T00:00`) ? value : null;
}

/** A wall-clock "HH:MM", or null. */
export function validTime(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  return m && Number(m[1]) < 24 && Number(m[2]) < 60 ? value : null;
}

export function addDays(date: string, n: number): string {
  return taipeiDate(new Date(startOfTaipeiDay(date).getTime() + n * DAY_MS));
}

/** The Monday of the Taipei week holding `date`. */
export function mondayOf(date: string): string {
  const wd = taipeiParts(startOfTaipeiDay(date)).weekday; // 0 = Sunday
  return addDays(date, wd === 0 ? -6 : 1 - wd);
}

export function dayLabel(date: string): string {
  const p = taipeiParts(startOfTaipeiDay(date));
  return `${pad(p.month)}/${pad(p.day)}（${weekdays[p.weekday]}）`;
}

const minutesOf = (t: string | null, fallback: number) => {
  if (!t) return fallback;
  const [h, m] = t.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/** "08:00:00" → "08:00"; null (no limit) → the whole day. */
export function openHours(openFrom: string | null, openTo: string | null) {
  const open = minutesOf(openFrom, 0);
  const close = minutesOf(openTo, 24 * 60) || 24 * 60;
  return { open, close: Math.max(close, open), text: `${hhmm(open)}–${hhmm(close)}` };
}

/**
 * One day of an item within its bookable hours: a state per 30-minute step (for the bar)
 * and merged free/taken segments (for the list and the text). Taken ranges never say who.
 */
export function dayLayout(
  date: string,
  taken: { start: Date | string | number; end: Date | string | number }[],
  hours: { open: number; close: number },
  now: Date,
): DayLayout {
  const dayStart = startOfTaipeiDay(date).getTime();
  const at = (min: number) => dayStart + min * 60_000;
  const ranges = taken
    .map((t) => ({ start: new Date(t.start).getTime(), end: new Date(t.end).getTime() }))
    .filter((t) => t.start < at(hours.close) && t.end > at(hours.open))
    .sort((a, b) => a.start - b.start);
  // Before `cut` a slot can no longer be requested: now, rounded up to the next step.
  const nowMin = (now.getTime() - dayStart) / 60_000;
  const cut = Math.min(hours.close, Math.max(hours.open, Math.ceil(nowMin / STEP_MINUTES) * STEP_MINUTES));

  const steps: StepState[] = [];
  for (let m = hours.open; m < hours.close; m += STEP_MINUTES) {
    const s = at(m);
    const e = at(Math.min(m + STEP_MINUTES, hours.close));
    if (ranges.some((r) => r.start < e && r.end > s)) steps.push("taken");
    else if (m < cut) steps.push("past");
    else steps.push("free");
  }

  // Taken minutes, clipped to the day's bookable hours and merged.
  const merged: { from: number; to: number }[] = [];
  for (const r of ranges) {
    const from = Math.max(hours.open, Math.floor((r.start - dayStart) / 60_000));
    const to = Math.min(hours.close, Math.ceil((r.end - dayStart) / 60_000));
    const last = merged[merged.length - 1];
    if (last && from <= last.to) last.to = Math.max(last.to, to);
    else merged.push({ from, to });
  }
  // Segments between every boundary (open, close, taken ends, the cut), then merged when alike.
  const bounds = [...new Set([hours.open, hours.close, cut, ...merged.flatMap((t) => [t.from, t.to])])]
    .filter((b) => b >= hours.open && b <= hours.close)
    .sort((a, b) => a - b);
  const segments: DaySegment[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const from = bounds[i]!;
    const to = bounds[i + 1]!;
    const taken = merged.some((t) => t.from < to && t.to > from);
    const past = to <= cut;
    const last = segments[segments.length - 1];
    if (last && last.taken === taken && (taken || last.past === past)) {
      last.to = hhmm(to);
      last.past = past;
    } else segments.push({ from: hhmm(from), to: hhmm(to), taken, past });
  }

  return {
    date,
    label: dayLabel(date),
    open: hhmm(hours.open),
    close: hhmm(hours.close),
    steps,
    segments,
    takenText: merged.map((t) => `${hhmm(t.from)}–${hhmm(t.to)}`),
  };
}

/** A free segment's first hour (or what is left of it): the request form's prefill. */
export function suggestSlot(seg: DaySegment): { start: string; end: string } | null {
  if (seg.taken || seg.past) return null;
  const from = minutesOf(seg.from, 0);
  const to = minutesOf(seg.to, 24 * 60) || 24 * 60;
  // A time input cannot hold 24:00.
  const end = Math.min(to, from + 60, 24 * 60 - 1);
  return end > from ? { start: hhmm(from), end: hhmm(end) } : null;
}

/** "YYYY-MM-DDTHH:MM" for the service, or "" when a part is missing (the service says so). */
export function composeLocal(date: string, time: string): string {
  return date && time ? `${date}T${time}` : "";
}
