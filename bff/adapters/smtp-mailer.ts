import nodemailer from "nodemailer";
import type { Mailer } from "../ports/mailer.js";

/**
 * Real e-mail over SMTP. Delivery is at least once (a retry after a lost reply sends
 * again); the Message-ID derived from the idempotency key lets mail systems drop the copy.
 */
export function smtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(msg, ctx) {
      await transport.sendMail({
        from,
        to: msg.to,
        subject: msg.subject,
        text: msg.text,
        messageId: `<${ctx.idempotencyKey.replace(/[^A-Za-z0-9._-]/g, "_")}@portal.tainan.gov.tw>`,
      });
    },
  };
}
