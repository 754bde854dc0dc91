import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../bff/config.js";
import { type Container, createContainer } from "../../bff/container.js";
import { queueSecretMessage, SECRET_MESSAGE_JOB } from "../../bff/auth/code-delivery.js";
import { CHECK_NAME } from "../../bff/oidc/data-key-check.js";
import { resealAll } from "../../bff/oidc/data-key-rotation.js";
import { decrypt, encrypt, open, withPrevious } from "../../bff/oidc/data-key.js";
import { silentLogger, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, signInAs } from "../helpers/factory.js";

/**
 * Issue 13 item 8: the data key. A start with a key that does not fit the database stops
 * with a message naming DATA_KEY; a rotation re-seals every secret while servers accept
 * the old and the new key; the VAPID private key is never stored in clear.
 */
const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const b64 = (k: Buffer) => k.toString("base64");
let c: Container;
const started: Container[] = [];

/** Another app server on the same database with this environment (throws as its start would). */
async function serverWith(env: Record<string, string>): Promise<Container> {
  const config = loadConfig({ NODE_ENV: "test", WORKER: "off", DATA_DIR: "/nonexistent", ...env });
  const other = await createContainer(config, {
    db: { db: c.db, kind: c.dbKind, close: async () => undefined },
    logger: silentLogger,
  });
  started.push(other);
  return other;
}

beforeAll(async () => {
  c = await testContainer({ env: { DATA_KEY: b64(oldKey) } });
});
afterAll(async () => {
  for (const s of started) await s.close();
  await c?.close();
});

describe("a DATA_KEY that does not fit the database", () => {
  it("stops the start with a message naming DATA_KEY, for a wrong key and for a missing one", async () => {
    await expect(serverWith({ DATA_KEY: b64(randomBytes(32)) })).rejects.toThrow(
      /DATA_KEY: does not open the secrets in this database/,
    );
    // No DATA_KEY in a test process: a key of the process's own, which this database never saw.
    await expect(serverWith({})).rejects.toThrow(/DATA_KEY \(unset.*\): does not open the secrets/);
    await expect(serverWith({ DATA_KEY: b64(oldKey) })).resolves.toBeTruthy();
  });

  it("a database from before the check: a sealed secret already there decides, before the check is written", async () => {
    await c.db.deleteFrom("app_keys").where("name", "=", CHECK_NAME).execute();
    await expect(serverWith({ DATA_KEY: b64(randomBytes(32)) })).rejects.toThrow(/DATA_KEY: does not open/);
    expect(await c.db.selectFrom("app_keys").select("name").where("name", "=", CHECK_NAME).execute()).toEqual([]);
    await serverWith({ DATA_KEY: b64(oldKey) });
    const row = await c.db
      .selectFrom("app_keys")
      .select("value")
      .where("name", "=", CHECK_NAME)
      .executeTakeFirstOrThrow();
    expect(decrypt(oldKey, (row.value as { sealed: string }).sealed)).toBeTruthy();
  });
});

describe("the VAPID key pair", () => {
  it("is stored with the private key sealed; a clear row from before is sealed at the next start", async () => {
    const row = await c.db.selectFrom("app_keys").select("value").where("name", "=", "vapid").executeTakeFirstOrThrow();
    const stored = row.value as { publicKey: string; sealed?: string; privateKey?: string };
    expect(stored.privateKey).toBeUndefined();
    expect(JSON.stringify(stored)).not.toContain(decrypt(oldKey, stored.sealed!));

    // As a release before sealing left it: the private key in clear.
    const clear = { publicKey: stored.publicKey, privateKey: decrypt(oldKey, stored.sealed!) };
    await c.db
      .updateTable("app_keys")
      .set({ value: JSON.stringify(clear) })
      .where("name", "=", "vapid")
      .execute();
    const next = await serverWith({ DATA_KEY: b64(oldKey) });
    expect(next.services.push.publicKey).toBe(clear.publicKey);
    const after = (
      await c.db.selectFrom("app_keys").select("value").where("name", "=", "vapid").executeTakeFirstOrThrow()
    ).value as { sealed?: string; privateKey?: string };
    expect(after.privateKey).toBeUndefined();
    expect(JSON.stringify(after)).not.toContain(clear.privateKey);
    expect(decrypt(oldKey, after.sealed!)).toBe(clear.privateKey);
  });
});

describe("DATA_KEY rotation", () => {
  it("servers with the new key and the old one read everything; re-sealing moves it all to the new key", async () => {
    // Secrets sealed with the old key: a TOTP enrolment, an enabled TOTP secret, a code waiting in a job.
    const agency = await makeAgency(c, "金鑰輪替局");
    const unit = await makeUnit(c, agency.id, "資訊科");
    const alice = await makeAccount(c, { unitId: unit.id });
    const bob = await makeAccount(c, { unitId: unit.id });
    const { actor } = await signInAs(c, alice);
    const enrolment = await c.services.auth.totp.startEnrolment(actor);
    await c.db
      .updateTable("accounts")
      .set({ totp_secret_enc: encrypt(oldKey, "BOBSECRET") })
      .where("id", "=", bob.id)
      .execute();
    await c.db.transaction().execute((trx) =>
      queueSecretMessage(
        trx,
        c.dataKey,
        c.clock.now(),
        {
          channel: "sms",
          to: "0912345678",
          subject: "",
          text: "驗證碼 123456",
          expiresAt: new Date(Date.now() + 6e5),
        },
        "rotation-test",
      ),
    );
    const kidsBefore = (await c.db.selectFrom("oidc_signing_keys").select("kid").execute()).map((k) => k.kid).sort();

    // Step 2 of the rollout: the new key seals, the old one still opens.
    const rolling = await serverWith({ DATA_KEY: b64(newKey), DATA_KEY_PREVIOUS: b64(oldKey) });
    expect((await rolling.services.auth.totp.status({ ...actor })).pending?.secret).toBe(enrolment.secret);

    const report = await resealAll(c.db, withPrevious(Buffer.from(newKey), [oldKey]));
    expect(report.unreadable).toEqual([]);
    expect(report.resealed).toMatchObject({
      "oidc_signing_keys.private_enc": kidsBefore.length,
      "accounts.totp_secret_enc": 1,
      "totp_enrolments.secret_enc": 1,
      "app_keys.value.sealed": 3, // cookie keys, VAPID, the check value
      "jobs.payload.sealed": 1,
    });
    // Run again: nothing left to move.
    const again = await resealAll(c.db, withPrevious(Buffer.from(newKey), [oldKey]));
    expect(again.resealed).toEqual({});
    expect(again.current).toBe(report.current + Object.values(report.resealed).reduce((s, n) => s + n, 0));

    // Every value now opens with the new key alone.
    const bobRow = await c.db
      .selectFrom("accounts")
      .select("totp_secret_enc")
      .where("id", "=", bob.id)
      .executeTakeFirstOrThrow();
    expect(open(newKey, bobRow.totp_secret_enc!)).toEqual({ plaintext: "BOBSECRET", current: true });
    const job = await c.db
      .selectFrom("jobs")
      .select("payload")
      .where("kind", "=", SECRET_MESSAGE_JOB)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(decrypt(newKey, (job.payload as { sealed: string }).sealed)).toBe("驗證碼 123456");

    // Step 4: DATA_KEY_PREVIOUS dropped. The new key alone starts and reads the same secrets.
    const after = await serverWith({ DATA_KEY: b64(newKey) });
    expect((await after.services.auth.totp.status({ ...actor })).pending?.secret).toBe(enrolment.secret);
    expect(after.services.push.publicKey).toBe(c.services.push.publicKey);
    const kidsAfter = (await after.db.selectFrom("oidc_signing_keys").select("kid").execute()).map((k) => k.kid);
    expect(kidsAfter.sort()).toEqual(kidsBefore);
    // A server left behind on the old key alone now refuses to start, naming DATA_KEY.
    await expect(serverWith({ DATA_KEY: b64(oldKey) })).rejects.toThrow(/DATA_KEY: does not open/);
  });
});
