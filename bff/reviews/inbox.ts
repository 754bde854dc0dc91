import type { Database, Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { DomainError } from "../errors.js";

/** One thing waiting for the actor's decision, whatever its kind. */
export interface InboxEntry {
  kind: string;
  id: number;
  kindLabel: string;
  title: string;
  summary: string;
  reason: string;
  submittedAt: Date;
  /** The screen with the whole request. */
  href: string;
}

export interface DecisionInput {
  decision: unknown;
  comment?: unknown;
}

/**
 * A kind of review (booking, and later account applications…) plugs into the inbox by
 * answering these four questions, each scoped to the actor inside the source.
 */
export interface ReviewSource {
  kind: string;
  label: string;
  pending(actor: Actor, limit: number): Promise<InboxEntry[]>;
  /** Waiting for the actor; `db` lets a caller count inside its own transaction. */
  count(actor: Actor, db?: Database): Promise<number>;
  /** Decides, in the caller's transaction when one is given. */
  decide(actor: Actor, id: number, input: DecisionInput, trx?: Tx): Promise<{ status: string }>;
  /** What a result message names: the thing and who asked. */
  describe(actor: Actor, id: number): Promise<{ title: string; who: string }>;
}

const INBOX_LIMIT = 200;

/** BKG-5 / 審核: everything waiting for me in one list, newest first. */
export function createInbox(sources: ReviewSource[]) {
  const byKind = new Map(sources.map((s) => [s.kind, s]));

  async function list(actor: Actor): Promise<InboxEntry[]> {
    const lists = await Promise.all(sources.map((s) => s.pending(actor, INBOX_LIMIT)));
    return lists
      .flat()
      .sort((a, b) => b.submittedAt.getTime() - a.submittedAt.getTime() || b.id - a.id)
      .slice(0, INBOX_LIMIT);
  }

  async function count(actor: Actor, db?: Database): Promise<number> {
    let total = 0;
    for (const s of sources) total += await s.count(actor, db); // one at a time: db may be a transaction
    return total;
  }

  /** The count for an account (the app-icon badge a push carries), in the caller's transaction. */
  async function countForAccount(db: Database, accountId: number): Promise<number> {
    const a = await db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select(["a.id", "a.username", "a.name", "a.role", "a.unit_id", "u.agency_id"])
      .where("a.id", "=", accountId)
      .executeTakeFirst();
    if (!a) return 0;
    const actor: Actor = {
      accountId: a.id,
      username: a.username,
      name: a.name,
      role: a.role,
      agencyId: a.agency_id,
      unitId: a.unit_id,
      sessionId: "badge",
      ip: "",
    };
    return count(actor, db);
  }

  /** "booking:12" → the source and id, or null for anything else. */
  function parseRef(ref: unknown): { source: ReviewSource; id: number } | null {
    const m = typeof ref === "string" ? /^([a-z_]{1,30}):(\d{1,9})$/.exec(ref) : null;
    const source = m ? byKind.get(m[1]!) : undefined;
    return m && source ? { source, id: Number(m[2]) } : null;
  }

  /** One decision per entry; a refusal of one never stops the others. */
  async function decideMany(actor: Actor, refs: unknown[], input: DecisionInput) {
    const parsed = [...new Set(refs.filter((r): r is string => typeof r === "string"))]
      .slice(0, INBOX_LIMIT)
      .map((ref) => ({ ref, target: parseRef(ref) }));
    if (parsed.length === 0) throw new DomainError("invalid", "請勾選要審核的申請。");
    const results: { ref: string; ok: boolean; message: string }[] = [];
    for (const { ref, target } of parsed) {
      if (!target) {
        results.push({ ref, ok: false, message: "找不到資料，或您沒有權限審核。" });
        continue;
      }
      try {
        const r = await target.source.decide(actor, target.id, input);
        results.push({ ref, ok: true, message: r.status === "approved" ? "已核准" : "已駁回" });
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        if (e.code === "invalid") throw e; // the same input for all: say it once
        results.push({
          ref,
          ok: false,
          message: e.code === "not_found" ? "找不到資料，或您沒有權限審核。" : e.message,
        });
      }
    }
    return results;
  }

  return {
    list,
    count,
    countForAccount,
    decideMany,
    source: (kind: string) => byKind.get(kind),
    kinds: sources.map((s) => ({ kind: s.kind, label: s.label })),
  };
}

export type Inbox = ReturnType<typeof createInbox>;
