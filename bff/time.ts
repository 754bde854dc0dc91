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
