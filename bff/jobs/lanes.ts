/**
 * Issue 15 item 1 (ADR 0027): job kinds grouped into lanes. Each lane has its own number of
 * slots in a worker, so a slow push service, a slow SMTP server, an AD outage or a long
 * clean-up only ever holds its own lane: a sign-in code is never queued behind them.
 *
 * - urgent: what a person is waiting for on screen (sign-in and e-mail codes, temporary
 *   passwords, SMS).
 * - push: notifications to devices. Its own lane because a push service may take its full
 *   timeout to answer; a slot only waits on the network (no database session is held).
 * - mail: every other e-mail.
 * - directory: AD changes (one per account at a time already, by serial key).
 * - bulk: housekeeping, scheduled changes, image clean-up, anything unknown.
 *
 * Migration 0089 freezes this mapping for rows written by a release that knew no lanes (a
 * trigger fills `lane` when the insert leaves it out); tests/integration/job-lanes.test.ts
 * checks the two agree for every kind the workers handle.
 */
export const LANES = ["urgent", "push", "mail", "directory", "bulk"] as const;
export type Lane = (typeof LANES)[number];

const BY_KIND: Record<string, Lane> = {
  "signin.secret-message": "urgent",
  "sms.send": "urgent",
  "push.fanout": "push",
  "push.deliver": "push",
  "mail.send": "mail",
  "shared_account.password_mail": "mail",
  "directory.sync-account": "directory",
  "directory.set-password": "directory",
};

/** A kind's lane unless its enqueue names one (an e-mail code is mail.send in the urgent lane). */
export const laneOfKind = (kind: string): Lane => BY_KIND[kind] ?? "bulk";

export const isLane = (s: string): s is Lane => (LANES as readonly string[]).includes(s);

/** Slots per lane in one worker: how many of its jobs run at once. 0 = this worker leaves the lane to others. */
export type LaneConcurrency = Record<Lane, number>;

/**
 * Defaults: calls hold no database connection, so slots that wait on the network are cheap;
 * directory stays at 1 (one LDAP connection, and AD applies changes in order anyway) and bulk
 * at 1 (its jobs hold a transaction and may use the CPU for a while).
 */
export const DEFAULT_LANE_CONCURRENCY: LaneConcurrency = {
  urgent: 4,
  push: 16,
  mail: 4,
  directory: 1,
  bulk: 1,
};

/** The environment variable that sets a lane's slots, e.g. WORKER_CONCURRENCY_PUSH. */
export const laneEnvName = (lane: Lane) => `WORKER_CONCURRENCY_${lane.toUpperCase()}`;
