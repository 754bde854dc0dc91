import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useLoaderData, useNavigation } from "@remix-run/react";
import { ItemPlace, SlotBar, SlotLegend, TakenText } from "~/components/booking";
import { Pager } from "~/components/list-page";
import bookingStyles from "~/styles/booking.css";
import { dayLayout, openHours, todayTaipei, validDate } from "~/utils/booking.server";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: bookingStyles }];
export const meta: MetaFunction = () => [{ title: "預約 | 臺南市政府公務入口網" }];

/** Items per page: a phone scrolls through 20 cards; the desktop grid shows them as rows. */
const PAGE_SIZE = 20;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const url = new URL(request.url);
  const kind = url.searchParams.get("kind") === "car" ? "car" : "venue";
  const now = context.services.clock.now();
  const today = todayTaipei(now);
  const date = validDate(url.searchParams.get("date")) ?? today;
  const q = (url.searchParams.get("q") ?? "").slice(0, 50);
  const result = await context.services.bookings.listAvailability(actor, {
    kind,
    from: date,
    days: 1,
    q,
    limit: PAGE_SIZE,
    page: url.searchParams.get("page"),
  });
  const items = result.items.map((i) => {
    const hours = openHours(i.open_from, i.open_to);
    return {
      id: i.id,
      name: i.name,
      siteName: i.siteName,
      floor: i.floor,
      agencyName: i.agencyName,
      capacity: i.capacity,
      passengerLimit: i.passenger_limit,
      plateNo: i.plate_no,
      hours: hours.text,
      day: dayLayout(date, i.taken, hours, now),
    };
  });
  return json({ kind, date, today, q, items, total: result.total, page: result.page, pageSize: PAGE_SIZE });
}

export default function Book() {
  const { kind, date, today, q, items, total, page, pageSize } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const busy = navigation.state === "loading" && navigation.location.pathname === "/book";
  const tab = (k: "venue" | "car") => {
    const p = new URLSearchParams({ kind: k });
    if (date !== today) p.set("date", date);
    return `/book?${p.toString()}`;
  };
  const dateQuery = date !== today ? `?date=${date}` : "";
  return (
    <div>
      <div className="page-head">
        <h1 className="page-title">預約</h1>
        <div className="head-actions">
          <Link to={`/book/free?kind=${kind}`} className="btn btn-small">
            找空{kind === "car" ? "公務車" : "場地"}
          </Link>
          <Link to="/book/mine" className="btn btn-small">
            我的申請
          </Link>
        </div>
      </div>
      <nav className="tabs" aria-label="預約類別">
        <Link to={tab("venue")} aria-current={kind === "venue" ? "page" : undefined}>
          場地
        </Link>
        <Link to={tab("car")} aria-current={kind === "car" ? "page" : undefined}>
          公務車
        </Link>
      </nav>
      <Form
        method="get"
        className="card search-form"
        role="search"
        aria-label={kind === "car" ? "搜尋公務車" : "搜尋場地"}
      >
        <input type="hidden" name="kind" value={kind} />
        <div className="field field-wide">
          <label htmlFor="book-q">關鍵字</label>
          <input
            id="book-q"
            name="q"
            type="search"
            defaultValue={q}
            maxLength={50}
            placeholder={kind === "car" ? "車型、車號或管理機關" : "場地名稱或管理機關"}
            enterKeyHint="search"
          />
        </div>
        <div className="field">
          <label htmlFor="book-date">日期</label>
          <input id="book-date" name="date" type="date" defaultValue={date} min={today} />
        </div>
        <button type="submit" className="btn btn-primary">
          查詢
        </button>
      </Form>

      <section aria-labelledby="book-results" aria-busy={busy || undefined}>
        <h2 id="book-results" className="list-heading">
          {kind === "car" ? "可預約的公務車" : "可預約的場地"}（{date.replace(/-/g, "/")}）
        </h2>
        <div aria-live="polite">
          {items.length === 0 ? (
            <p className="card empty">目前沒有資料</p>
          ) : (
            <>
              <SlotLegend />
              <ul className="item-list day-grid">
                {items.map((i) => (
                  <li key={i.id} className="card item-card">
                    <h3>
                      <Link to={`/book/${i.id}${dateQuery}`} className="item-link">
                        {i.name}
                        {i.plateNo ? `（${i.plateNo}）` : ""}
                      </Link>
                    </h3>
                    <ItemPlace item={i} />
                    <p className="item-meta">
                      {i.capacity !== null ? `容納 ${i.capacity} 人` : null}
                      {i.passengerLimit !== null ? `乘客上限 ${i.passengerLimit} 人` : null}・開放 {i.hours}
                    </p>
                    <SlotBar steps={i.day.steps} open={i.day.open} close={i.day.close} />
                    <TakenText taken={i.day.takenText} />
                  </li>
                ))}
              </ul>
              <Pager total={total} page={page} pageSize={pageSize} />
            </>
          )}
        </div>
      </section>
    </div>
  );
}
