/**
 * The portal's days are Taipei days, whatever TZ the server runs in. Taiwan has no daylight
 * saving time, so Taipei is always UTC+8 and day arithmetic needs no tz database.
 */
export const TAIPEI_OFFSET_MS = 8 * 3600_000;

/** "YYYY-MM-DD" of the Taipei calendar day that contains `d`. */
export function taipeiDate(d: Date): string {
  return new Date(d.getTime() + TAIPEI_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant a Taipei calendar day ("YYYY-MM-DD") begins. */
export function startOfTaipeiDay(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00+08:00`));
}

/** Whole Taipei calendar days from `from` to `to` (negative when `to` is earlier). */
export function taipeiDaysBetween(from: Date, to: Date): number {
  return Math.round(
    (startOfTaipeiDay(taipeiDate(to)).getTime() - startOfTaipeiDay(taipeiDate(from)).getTime()) / 86_400_000,
  );
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Taipei wall-clock parts of an instant. */
export function taipeiParts(d: Date) {
  const t = new Date(d.getTime() + TAIPEI_OFFSET_MS);
  return {
    year: t.getUTCFullYear(),
    month: t.getUTCMonth() + 1,
    day: t.getUTCDate(),
    hour: t.getUTCHours(),
    minute: t.getUTCMinutes(),
    weekday: t.getUTCDay(),
  };
}

/** "HH:MM" in Taipei. */
export function taipeiTime(d: Date): string {
  const p = taipeiParts(d);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

/** 「11/30 09:00–10:00」 or 「11/30 09:00–12/02 17:00」: a clash, named by time only. */
export function formatTaipeiRange(start: Date, end: Date): string {
  const s = taipeiParts(start);
  const e = taipeiParts(end);
  const sameDay = taipeiDate(start) === taipeiDate(new Date(end.getTime() - 1));
  const head = `${pad(s.month)}/${pad(s.day)} ${pad(s.hour)}:${pad(s.minute)}`;
  return sameDay
    ? `${head}–${taipeiTime(end)}`
    : `${head}–${pad(e.month)}/${pad(e.day)} ${pad(e.hour)}:${pad(e.minute)}`;
}

/**
 * Parses a Taipei wall-clock "YYYY-MM-DDTHH:MM" (what a datetime-local input sends) into an
 * instant, or null when it is not a real date and time.
 */
export function parseTaipeiLocal(value: unknown): Date | null {
  if (typeof value !== "string") return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return null;
  const instant = new Date(Date.UTC(y, mo - 1, d, h, mi) - TAIPEI_OFFSET_MS);
  const back = taipeiParts(instant);
  if (back.year !== y || back.month !== mo || back.day !== d) return null; // e.g. 02-30
  return instant;
}

/** Minutes since Taipei midnight. */
export function taipeiMinuteOfDay(d: Date): number {
  const p = taipeiParts(d);
  return p.hour * 60 + p.minute;
}

/** "08:00:00" or "08:00" → minutes since midnight. */
export function minutesOf(time: string): number {
  const [h, m] = time.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}
