import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigation } from "@remix-run/react";
import { ItemPlace } from "~/components/booking";
import { FormMessage, SelectField, TextField } from "~/components/forms";
import { Pager } from "~/components/list-page";
import bookingStyles from "~/styles/booking.css";
import { todayTaipei } from "~/utils/booking.server";
import { isDomainError } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: bookingStyles }];
export const meta: MetaFunction = () => [{ title: "找空場地 | 臺南市政府公務入口網" }];

const FIELDS = ["kind", "date", "start", "end", "people", "siteId"] as const;

/**
 * 找空場地 (issue 18): date, from–to, people and site → what is free for the whole range, the
 * smallest that fits first, each one tap from a prefilled request. A GET form, so the result
 * is a link that can be shared or bookmarked; bad input keeps what was typed, with the reason.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const url = new URL(request.url);
  const today = todayTaipei(context.services.clock.now());
  const values = Object.fromEntries(FIELDS.map((k) => [k, url.searchParams.get(k) ?? ""])) as Record<
    (typeof FIELDS)[number],
    string
  >;
  values.kind = values.kind === "car" ? "car" : "venue";
  const sites = await context.services.bookings.freeSites(actor, values.kind as "venue" | "car");
  const base = { today, values, sites };
  if (!url.searchParams.has("start")) return json({ ...base, result: null, error: null });
  try {
    const r = await context.services.bookings.findFree(actor, { ...values, page: url.searchParams.get("page") });
    return json({ ...base, result: { rows: r.rows, total: r.total, page: r.page, pageSize: r.pageSize }, error: null });
  } catch (e) {
    if (!isDomainError(e) || e.code !== "invalid") throw e;
    return json({ ...base, result: null, error: { message: e.message, fields: e.fields } }, { status: 400 });
  }
}

export default function FindFree() {
  const { today, values, sites, result, error } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const busy = navigation.state === "loading" && navigation.location.pathname === "/book/free";
  const car = values.kind === "car";
  const f = error?.fields ?? {};
  const prefill = (id: number) =>
    `/book/${id}?${new URLSearchParams({ date: values.date, start: values.start, end: values.end, people: values.people })}`;
  return (
    <div>
      <div className="page-head">
        <h1 className="page-title">{car ? "找空公務車" : "找空場地"}</h1>
        <Link to="/book" className="btn btn-small">
          回預約
        </Link>
      </div>
      <Form method="get" className="card" role="search" aria-label="找空場地條件">
        <FormMessage id="free-error" message={error?.message} />
        <fieldset className="fieldset radio-row">
          <legend>類別</legend>
          <label className="check">
            <input type="radio" name="kind" value="venue" defaultChecked={!car} />
            場地
          </label>
          <label className="check">
            <input type="radio" name="kind" value="car" defaultChecked={car} />
            公務車
          </label>
        </fieldset>
        <TextField
          label="日期"
          name="date"
          type="date"
          min={today}
          defaultValue={values.date || today}
          error={f.date}
          required
        />
        <div className="field-row">
          <TextField
            label="開始"
            name="start"
            type="time"
            step={1800}
            defaultValue={values.start}
            error={f.start}
            required
          />
          <TextField label="結束" name="end" type="time" step={1800} defaultValue={values.end} error={f.end} required />
        </div>
        <TextField
          label={car ? "乘客人數" : "使用人數"}
          name="people"
          type="number"
          inputMode="numeric"
          min={1}
          defaultValue={values.people}
          error={f.people}
          hint="選填；只列出容納得下的"
        />
        <SelectField
          label="地點"
          name="siteId"
          defaultValue={values.siteId}
          error={f.siteId}
          options={[{ value: "", label: "不限" }, ...sites.map((s) => ({ value: String(s.id), label: s.name }))]}
        />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? "搜尋中…" : "找空檔"}
        </button>
      </Form>
      {result ? (
        <section aria-labelledby="free-results" aria-busy={busy || undefined}>
          <h2 id="free-results" className="list-heading">
            {`${values.date.replace(/-/g, "/")} ${values.start}–${values.end} 可借用的${car ? "公務車" : "場地"}`}
          </h2>
          <div aria-live="polite">
            {result.rows.length === 0 ? (
              <p className="card empty">這個時段沒有符合條件的{car ? "公務車" : "場地"}，請換個時段或減少人數。</p>
            ) : (
              <ul className="item-list">
                {result.rows.map((i) => (
                  <li key={i.id} className="card item-card">
                    <h3>
                      {i.name}
                      {i.plate_no ? `（${i.plate_no}）` : ""}
                    </h3>
                    <ItemPlace item={i} />
                    <p className="item-meta">
                      {car
                        ? i.passenger_limit !== null
                          ? `乘客上限 ${i.passenger_limit} 人`
                          : "乘客人數不限"
                        : i.capacity !== null
                          ? `容納 ${i.capacity} 人`
                          : "容納人數未填"}
                    </p>
                    <Link to={prefill(i.id)} className="btn btn-primary btn-block">
                      借用這個時段
                    </Link>
                  </li>
                ))}
              </ul>
            )}
            <Pager total={result.total} page={result.page} pageSize={result.pageSize} />
          </div>
        </section>
      ) : null}
    </div>
  );
}
