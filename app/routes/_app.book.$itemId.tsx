import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { SlotBar, SlotLegend, TakenText } from "~/components/booking";
import { FormMessage, SelectField, TextAreaField, TextField } from "~/components/forms";
import bookingStyles from "~/styles/booking.css";
import {
  addDays,
  composeLocal,
  dayLayout,
  mondayOf,
  openHours,
  suggestSlot,
  todayTaipei,
  validDate,
  validTime,
} from "~/utils/booking.server";
import { formFailure, formValues, load, readForm } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: bookingStyles }];
export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.item.name ? `${data.item.name} | ` : ""}預約 | 臺南市政府公務入口網` },
];

/** Every field of both forms: a failed request shows each of them again as typed. */
const FIELDS = [
  "date",
  "start",
  "end",
  "startDate",
  "startTime",
  "endDate",
  "endTime",
  "reason",
  "attendees",
  "passengers",
  "destination",
  "driverId",
];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const url = new URL(request.url);
  const view = url.searchParams.get("view") === "week" ? "week" : "day";
  const now = context.services.clock.now();
  const today = todayTaipei(now);
  const date = validDate(url.searchParams.get("date")) ?? today;
  const from = view === "week" ? mondayOf(date) : date;
  const days = view === "week" ? 7 : 1;
  const data = await load(() => context.services.bookings.itemForBooking(actor, params.itemId, from, days));
  const { item } = data;
  const hours = openHours(item.open_from, item.open_to);
  const layouts = Array.from({ length: days }, (_, i) => dayLayout(addDays(from, i), data.taken, hours, now));
  const start = validTime(url.searchParams.get("start"));
  const end = validTime(url.searchParams.get("end"));
  // 找空場地's head count, carried into the request form (only digits; the form checks the rest).
  const people = /^\d{1,4}$/.exec(url.searchParams.get("people") ?? "")?.[0] ?? "";
  return json({
    item: {
      id: item.id,
      kind: item.kind as "venue" | "car",
      name: item.name,
      siteName: item.siteName,
      agencyName: item.agencyName,
      floor: item.floor,
      capacity: item.capacity,
      passengerLimit: item.passenger_limit,
      plateNo: item.plate_no,
      brand: item.brand,
      year: item.year,
      phone: item.phone,
      description: item.description,
      rules: item.rules,
      note: item.note,
      hours: hours.text,
    },
    drivers: data.drivers.map((d) => ({ id: d.id, name: d.name, licence: d.licence })),
    view,
    date,
    today,
    layouts,
    slots: Object.fromEntries(layouts.map((l) => [l.date, l.segments.map((s) => suggestSlot(s))])),
    prefill: { start: start ?? "", end: end ?? "", people },
    nav: {
      prev: addDays(date, view === "week" ? -7 : -1),
      next: addDays(date, view === "week" ? 7 : 1),
      weekLabel: `${from.replace(/-/g, "/")} – ${addDays(from, 6).slice(5).replace("-", "/")}`,
    },
  });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const values = formValues(form, FIELDS);
  const isCar = form.has("startDate");
  try {
    await context.services.bookings.request(actor, {
      itemId: params.itemId,
      startsAt: isCar ? composeLocal(values.startDate!, values.startTime!) : composeLocal(values.date!, values.start!),
      endsAt: isCar ? composeLocal(values.endDate!, values.endTime!) : composeLocal(values.date!, values.end!),
      reason: values.reason,
      ...(isCar
        ? { passengers: values.passengers, destination: values.destination, driverId: values.driverId }
        : { attendees: values.attendees }),
    });
  } catch (e) {
    return formFailure(e, values);
  }
  return redirect("/book/mine?created=1");
}

export default function BookItem() {
  const { item, drivers, view, date, today, layouts, slots, prefill, nav } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const v = failure?.values;
  const f = failure?.fields ?? {};
  const isCar = item.kind === "car";
  const here = `/book/${item.id}`;
  const q = (p: Record<string, string>) => `${here}?${new URLSearchParams(p).toString()}`;
  const day = layouts[0]!;

  return (
    <div>
      <p className="back-link">
        <Link to={`/book${isCar ? "?kind=car" : ""}`}>‹ 返回{isCar ? "公務車" : "場地"}列表</Link>
      </p>
      <h1 className="page-title">
        {item.name}
        {item.plateNo ? `（${item.plateNo}）` : ""}
      </h1>

      <section className="card" aria-labelledby="item-facts">
        <h2 id="item-facts">{isCar ? "公務車資訊" : "場地資訊"}</h2>
        <dl className="facts">
          <dt>所在地</dt>
          <dd>
            {item.siteName}
            {item.floor ? ` ${item.floor}` : ""}
          </dd>
          <dt>管理機關</dt>
          <dd>{item.agencyName}</dd>
          {isCar ? (
            <>
              <dt>乘客人數上限</dt>
              <dd>{item.passengerLimit ?? "—"} 人</dd>
              <dt>廠牌／年份</dt>
              <dd>
                {item.brand ?? "—"}
                {item.year ? ` ${item.year}` : ""}
              </dd>
            </>
          ) : (
            <>
              <dt>容納人數</dt>
              <dd>{item.capacity ?? "—"} 人</dd>
            </>
          )}
          <dt>開放借用時間</dt>
          <dd>{item.hours}</dd>
          {item.phone ? (
            <>
              <dt>場地電話</dt>
              <dd>
                <a href={`tel:${item.phone}`}>{item.phone}</a>
              </dd>
            </>
          ) : null}
        </dl>
        {item.description || item.rules || item.note ? (
          <details className="more">
            <summary>{isCar ? "備註" : "場地描述及規範"}</summary>
            {item.description ? <p className="prewrap">{item.description}</p> : null}
            {item.rules ? (
              <>
                <h3>場地規範</h3>
                <p className="prewrap">{item.rules}</p>
              </>
            ) : null}
            {item.note ? <p className="prewrap">{item.note}</p> : null}
          </details>
        ) : null}
      </section>

      <section className="card" aria-labelledby="item-times">
        <div className="times-head">
          <h2 id="item-times">借用狀況</h2>
          <nav className="toggle" aria-label="檢視方式">
            <Link to={q({ view: "day", date })} aria-current={view === "day" ? "page" : undefined}>
              日
            </Link>
            <Link to={q({ view: "week", date })} aria-current={view === "week" ? "page" : undefined}>
              週
            </Link>
          </nav>
        </div>
        <div className="pager-row">
          <Link
            to={q({ view, date: nav.prev })}
            className="btn btn-small"
            aria-label={view === "week" ? "上一週" : "前一天"}
          >
            ‹
          </Link>
          <p className="pager-label" aria-live="polite">
            {view === "week" ? nav.weekLabel : `${date.slice(0, 4)}/${day.label}`}
          </p>
          <Link
            to={q({ view, date: nav.next })}
            className="btn btn-small"
            aria-label={view === "week" ? "下一週" : "後一天"}
          >
            ›
          </Link>
        </div>
        <SlotLegend />
        {view === "day" ? (
          <>
            <SlotBar steps={day.steps} open={day.open} close={day.close} large />
            <ul className="segments">
              {day.segments.map((s, i) => {
                const slot = slots[day.date]?.[i];
                return (
                  <li key={s.from} className={s.taken ? "seg-taken" : s.past ? "seg-past" : "seg-free"}>
                    <span className="seg-time">
                      {s.from}–{s.to}
                    </span>
                    <span className="seg-state">{s.taken ? "已預約" : s.past ? "已過" : "可預約"}</span>
                    {slot ? (
                      <Link
                        className="btn btn-small"
                        to={`${q({ view, date: day.date, start: slot.start, end: slot.end })}#request`}
                      >
                        {/* WCAG 2.5.3: the accessible name starts with the visible text. */}
                        選這個時段
                        <span className="visually-hidden">
                          ：{day.date.replace(/-/g, "/")} {slot.start} 起
                        </span>
                      </Link>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          </>
        ) : (
          <ul className="week">
            {layouts.map((l) => (
              <li key={l.date} className={l.date === date ? "week-day week-day-current" : "week-day"}>
                <Link to={q({ view: "day", date: l.date })} className="week-day-link">
                  {l.label}
                  {l.date === today ? " 今天" : ""}
                </Link>
                <div>
                  <SlotBar steps={l.steps} open={l.open} close={l.close} />
                  <TakenText taken={l.takenText} />
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby="request-title" id="request">
        <h2 id="request-title">{isCar ? "公務車借用登記" : "場地借用申請"}</h2>
        <div aria-live="assertive">
          <FormMessage id="request-error" message={failure?.message} />
        </div>
        <Form
          method="post"
          noValidate
          aria-describedby={failure ? "request-error" : undefined}
          key={`${date}-${prefill.start}-${prefill.end}`}
        >
          {isCar ? (
            <>
              <DateTimeFieldset
                legend="取車"
                names={["startDate", "startTime"]}
                today={today}
                date={v?.startDate ?? date}
                time={v?.startTime ?? prefill.start}
                dateError={f.startsAt && !v?.startDate ? "請選擇取車日期" : undefined}
                timeError={f.startsAt}
              />
              <DateTimeFieldset
                legend="還車"
                names={["endDate", "endTime"]}
                today={today}
                date={v?.endDate ?? date}
                time={v?.endTime ?? prefill.end}
                dateError={f.endsAt && !v?.endDate ? "請選擇還車日期" : undefined}
                timeError={f.endsAt}
              />
              <TextField
                label="乘客人數"
                name="passengers"
                type="number"
                inputMode="numeric"
                min={1}
                max={item.passengerLimit ?? undefined}
                defaultValue={v?.passengers ?? (prefill.people || undefined)}
                hint={item.passengerLimit ? `上限 ${item.passengerLimit} 人` : undefined}
                error={f.passengers}
              />
              <TextField
                label="目的地"
                name="destination"
                maxLength={200}
                defaultValue={v?.destination}
                error={f.destination}
              />
              <SelectField
                label="派遣司機"
                name="driverId"
                defaultValue={v?.driverId ?? ""}
                error={f.driverId}
                options={[
                  { value: "", label: "不需司機" },
                  ...drivers.map((d) => ({
                    value: String(d.id),
                    label: `${d.name}${d.licence ? `（${d.licence}）` : ""}`,
                  })),
                ]}
              />
            </>
          ) : (
            <fieldset className="fieldset">
              <legend>借用時段（開放 {item.hours}）</legend>
              <TextField
                label="借用日期"
                name="date"
                type="date"
                min={today}
                defaultValue={v?.date ?? date}
                error={(f.startsAt || f.endsAt) && !v?.date ? "請選擇借用日期" : undefined}
              />
              <div className="field-row">
                <TextField
                  label="開始時間"
                  name="start"
                  type="time"
                  defaultValue={v?.start ?? prefill.start}
                  error={f.startsAt}
                />
                <TextField
                  label="結束時間"
                  name="end"
                  type="time"
                  defaultValue={v?.end ?? prefill.end}
                  error={f.endsAt}
                />
              </div>
            </fieldset>
          )}
          <TextAreaField
            label="借用事由"
            name="reason"
            rows={3}
            maxLength={500}
            defaultValue={v?.reason}
            error={f.reason}
          />
          {isCar ? null : (
            <TextField
              label="使用人數"
              name="attendees"
              type="number"
              inputMode="numeric"
              min={1}
              max={item.capacity ?? undefined}
              defaultValue={v?.attendees ?? (prefill.people || undefined)}
              hint={item.capacity ? `容納 ${item.capacity} 人` : undefined}
              error={f.attendees}
            />
          )}
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? "送出中…" : "送出申請"}
          </button>
        </Form>
      </section>
    </div>
  );
}

/** A car's pick-up or return: a date and a time side by side (取車日期/取車時間…). */
function DateTimeFieldset(p: {
  legend: string;
  names: [string, string];
  today: string;
  date: string;
  time: string;
  dateError?: string;
  timeError?: string;
}) {
  return (
    <fieldset className="fieldset">
      <legend>{p.legend}</legend>
      <div className="field-row field-row-datetime">
        <TextField
          label={`${p.legend}日期`}
          name={p.names[0]}
          type="date"
          min={p.today}
          defaultValue={p.date}
          error={p.dateError}
        />
        <TextField label={`${p.legend}時間`} name={p.names[1]} type="time" defaultValue={p.time} error={p.timeError} />
      </div>
    </fieldset>
  );
}
