import type { Mailer, SmsGateway } from "../ports/mailer.js";
import type { Clock } from "../ports/clock.js";

/** Mail and SMS land in the dev_mailbox table, shown at /dev/mailbox. */
export function devMailbox(clock: Clock): Mailer & SmsGateway {
  return {
    async send(msg, ctx) {
      const isMail = "subject" in msg;
      await ctx.db
        .insertInto("dev_mailbox")
        .values({
          channel: isMail ? "mail" : "sms",
          to_address: msg.to,
          subject: isMail ? msg.subject : "",
          body: msg.text,
          idempotency_key: ctx.idempotencyKey,
          created_at: clock.now(),
        })
        .onConflict((oc) => oc.column("idempotency_key").doNothing())
        .execute();
    },
  };
}
