import { sql } from "kysely";
import type { Actor } from "../actor.js";
import { escapeLike } from "../items/queries.js";
import type { ReviewSource } from "../reviews/inbox.js";
import { formatTaipeiRange, startOfTaipeiDay } from "../time.js";
import { parseInput } from "../validation.js";
import { type BookingDeps, kindLabel, rangeColumns, tsRange } from "./deps.js";
import { heldBooking } from "./lookups.js";
import { reviewableBy } from "./reviewers.js";
import { type ReviewQuery, reviewQuery } from "./schemas.js";
import { pageAndTotal } from "../paging.js";

const PAGE_SIZE = 10;

/** BKG-3 審核: the bookings I decide (bookings/reviewers.ts), as a list and as the approvals inbox's source. */
export function createReviewList(deps: BookingDeps, decide: ReviewSource["decide"]) {
  const { db } = deps;

  /** BKG-3 list: the bookings I decide; 未審核 by default. */
  async function reviewList(actor: Actor, raw: ReviewQuery) {
    const { status, q, date, page } = parseInput(reviewQuery, raw);
    let query = db
      .selectFrom("bookings as b")
      .innerJoin("items as i", "i.id", "b.item_id")
      .innerJoin("accounts as ap", "ap.id", "b.applicant_id")
      .innerJoin("org_nodes as u", "u.id", "ap.unit_id")
      .leftJoin("items as d", "d.id", "b.driver_id")
      .where(reviewableBy(actor));
    if (status !== "all") query = query.where("b.status", "=", status);
    if (q) {
      const like = `%${escapeLike(q)}%`;
      query = query.where((eb) =>
        eb.or([eb("i.name", "ilike", like), eb("ap.name", "ilike", like), eb("b.reason", "ilike", like)]),
      );
    }
    if (date) {
      const dayStart = startOfTaipeiDay(date);
      query = query.where(sql<boolean>`b.during && ${tsRange(dayStart, new Date(dayStart.getTime() + 86_400_000))}`);
    }
    const { rows, total } = await pageAndTotal(
      query,
      (q) =>
        q
          .select([
            "b.id",
            "b.status",
            "b.reason",
            "b.attendees",
            "b.passengers",
            "b.destination",
            "b.decision_comment",
            "b.decided_by",
            "b.created_at",
            "i.name as itemName",
            "i.kind",
            "ap.name as applicantName",
            "u.name as unitName",
            "d.name as driverName",
            ...rangeColumns,
          ])
          .orderBy("b.created_at", "desc")
          .orderBy("b.id", "desc"),
      page,
      PAGE_SIZE,
    );
    return { rows, total, page, status };
  }

  /** The approvals inbox's view of bookings (bff/reviews/inbox.ts). */
  const reviewSource: ReviewSource = {
    kind: "booking",
    label: "場地及公務車借用",
    async pending(actor, limit) {
      const rows = await db
        .selectFrom("bookings as b")
        .innerJoin("items as i", "i.id", "b.item_id")
        .innerJoin("accounts as ap", "ap.id", "b.applicant_id")
        .select([
          "b.id",
          "b.reason",
          "b.created_at",
          "i.name as itemName",
          "i.kind",
          "ap.name as applicantName",
          ...rangeColumns,
        ])
        .where("b.status", "=", "pending")
        .where(reviewableBy(actor))
        .orderBy("b.created_at", "desc")
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        kind: "booking",
        id: r.id,
        kindLabel: `${kindLabel[r.kind]}借用`,
        title: r.itemName,
        summary: `${r.applicantName}・${formatTaipeiRange(r.starts_at, r.ends_at)}`,
        reason: r.reason,
        submittedAt: r.created_at,
        href: `/reviews?focus=${r.id}`,
      }));
    },
    async count(actor, inTrx) {
      const row = await (inTrx ?? db)
        .selectFrom("bookings as b")
        .innerJoin("items as i", "i.id", "b.item_id")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("b.status", "=", "pending")
        .where(reviewableBy(actor))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    decide,
    async describe(actor, id) {
      const b = await heldBooking(db, actor, id);
      return { title: b.itemName, who: b.applicantName };
    },
  };

  return { reviewList, reviewSource };
}
