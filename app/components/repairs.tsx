import type { LinksFunction } from "@remix-run/node";
import { Link } from "@remix-run/react";
import { type ChangeEvent, type ReactNode, useState } from "react";
import { SelectField, TextAreaField, TextField } from "~/components/forms";
import bookingStyles from "~/styles/booking.css";
import repairStyles from "~/styles/repairs.css";
import { formatDateTime } from "~/utils/format";

/** The stylesheets of every repair page (the ticket cards borrow the booking list's look). */
export const repairLinks: LinksFunction = () => [
  { rel: "stylesheet", href: bookingStyles },
  { rel: "stylesheet", href: repairStyles },
];

export const repairStatusLabels: Record<string, string> = {
  pending: "待處理",
  processed: "已處理",
  returned: "已退回",
};

/** 待處理 / 已處理 / 已退回 as a pill; the colours follow the booking badges. */
export function RepairStatus({ status }: { status: string }) {
  const tone = status === "processed" ? "approved" : status === "returned" ? "rejected" : "pending";
  return <span className={`status status-${tone}`}>{repairStatusLabels[status] ?? status}</span>;
}

interface TicketSummary {
  id: number;
  typeName: string;
  status: string;
  description: string;
  siteName: string;
  floor: string | null;
  created_at: string;
  return_count: number;
}

/** One ticket in a list (mine, or the vendor's queue): type, status, place, date; `reporter` when not mine. */
export function TicketCard(props: {
  ticket: TicketSummary;
  heading: "h2" | "h3";
  reporter?: string;
  children?: ReactNode;
}) {
  const t = props.ticket;
  const Heading = props.heading;
  return (
    <li className="card booking-card ticket-card">
      <div className="booking-head">
        <Heading>
          <Link to={`/repairs/${t.id}`}>{t.typeName}</Link>
        </Heading>
        <RepairStatus status={t.status} />
      </div>
      <p className="ticket-desc">{t.description}</p>
      <dl className="facts facts-compact">
        {props.reporter ? (
          <>
            <dt>報修人員</dt>
            <dd>{props.reporter}</dd>
          </>
        ) : null}
        <dt>所在地點</dt>
        <dd>
          {t.siteName} {t.floor}
        </dd>
        <dt>報修日期</dt>
        <dd>{formatDateTime(t.created_at)}</dd>
        {t.return_count > 0 ? (
          <>
            <dt>退回次數</dt>
            <dd>{t.return_count}</dd>
          </>
        ) : null}
      </dl>
      {props.children}
    </li>
  );
}

/**
 * Up to 3 photos. On picking, each is shrunk in the browser (the shrinking code loads
 * only then); the server still checks bytes and size.
 */
export function PhotoInput({ error, room = 3 }: { error?: string; room?: number }) {
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function onChange(e: ChangeEvent<HTMLInputElement>) {
    const input = e.currentTarget;
    const files = [...(input.files ?? [])];
    if (files.length > room) {
      input.value = "";
      setNote(`最多 ${room} 張照片，請重新選擇`);
      return;
    }
    if (files.length === 0) return setNote(null);
    setBusy(true);
    setNote("照片處理中…");
    try {
      const { shrinkImage } = await import("~/utils/shrink-image");
      const out = await Promise.all(files.map(shrinkImage));
      const dt = new DataTransfer();
      for (const f of out) dt.items.add(f);
      input.files = dt.files;
      const kb = Math.round(out.reduce((n, f) => n + f.size, 0) / 1024);
      setNote(`已選擇 ${out.length} 張照片（共 ${kb} KB）`);
    } catch {
      setNote(null);
    } finally {
      setBusy(false);
    }
  }
  const id = "f-photos";
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={id}>照片（選填）</label>
      <p className="field-hint" id={`${id}-hint`}>
        最多 {room} 張，JPEG、PNG 或 WebP；手機拍攝的照片會先縮小再上傳
      </p>
      <input
        id={id}
        type="file"
        name="photos"
        accept="image/jpeg,image/png,image/webp"
        multiple
        onChange={onChange}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ""}${note ? ` ${id}-note` : ""}`}
        data-busy={busy ? "1" : undefined}
      />
      {note ? (
        <p className="field-hint" id={`${id}-note`} aria-live="polite">
          {note}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The report's fields (RPR-2); the type is chosen only when reporting anew. */
export function TicketFields({
  types,
  sites,
  unitName,
  values,
  errors,
}: {
  types?: { id: number; name: string; agencyName: string }[];
  sites: { id: number; name: string }[];
  unitName: string;
  values: Record<string, string | undefined>;
  errors: Record<string, string | undefined>;
}) {
  return (
    <>
      {types ? (
        <SelectField
          label="報修類型"
          name="typeId"
          required
          defaultValue={values.typeId ?? ""}
          error={errors.typeId}
          options={[
            { value: "", label: "請選擇" },
            ...types.map((t) => ({ value: String(t.id), label: `${t.name}（${t.agencyName}）` })),
          ]}
        />
      ) : null}
      <div className="field">
        <span className="field-label" id="f-unit-label">
          報修單位
        </span>
        <p className="field-static" aria-labelledby="f-unit-label">
          {unitName}
        </p>
      </div>
      <TextField
        label="公務電話"
        name="phone"
        type="tel"
        inputMode="tel"
        autoComplete="tel"
        maxLength={30}
        required
        defaultValue={values.phone ?? ""}
        error={errors.phone}
      />
      <SelectField
        label="所在地點"
        name="siteId"
        required
        defaultValue={values.siteId ?? ""}
        error={errors.siteId}
        options={[{ value: "", label: "請選擇" }, ...sites.map((s) => ({ value: String(s.id), label: s.name }))]}
      />
      <TextField
        label="所在樓層"
        name="floor"
        maxLength={20}
        required
        placeholder="例如 5F"
        defaultValue={values.floor ?? ""}
        error={errors.floor}
      />
      <TextAreaField
        label="故障原因"
        name="description"
        rows={4}
        maxLength={1000}
        required
        defaultValue={values.description ?? ""}
        error={errors.description}
      />
    </>
  );
}
