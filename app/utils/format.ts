const dateTime = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Asia/Taipei",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** SPEC: dates show as YYYY/MM/DD HH:mm in Taipei time everywhere. */
export function formatDateTime(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return "";
  const d = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return "";
  const parts = Object.fromEntries(dateTime.formatToParts(d).map((p) => [p.type, p.value]));
  return `${parts.year}/${parts.month}/${parts.day} ${parts.hour}:${parts.minute}`;
}

/** 「2026/11/30 10:00–11:00」, or both ends in full when the range spans days. */
export function formatDateTimeRange(start: Date | string, end: Date | string): string {
  const s = formatDateTime(start);
  const e = formatDateTime(end);
  return s.slice(0, 10) === e.slice(0, 10) ? `${s}–${e.slice(11)}` : `${s}–${e}`;
}
