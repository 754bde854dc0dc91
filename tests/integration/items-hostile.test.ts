import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import type { ItemFormInput } from "../../bff/items/schemas.js";
import type { IdParam } from "../../bff/validation.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeItem, makeSite, makeUnit, signInAs } from "../helpers/factory.js";

/**
 * Generated hostile input against 物品管理's create and edit use cases: the only refusals are
 * DomainErrors (invalid, not found, conflict), never a crash or a database error, and a
 * refusal changes nothing.
 */
const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
let c: Container;
let admin: Actor, outsider: Actor;
let valid: Record<string, string>;
let venueId: number, carId: number;

beforeAll(async () => {
  c = await testContainer({ clock });
  const siteId = (await makeSite(c)).id;
  const agencyA = (await makeAgency(c, "甲局")).id;
  const agencyB = (await makeAgency(c, "乙局")).id;
  const unitA = (await makeUnit(c, agencyA)).id;
  const adminA = await makeAccount(c, { unitId: unitA, role: "agency_admin" });
  const keeper = await makeAccount(c, { unitId: unitA });
  admin = (await signInAs(c, adminA)).actor;
  outsider = (await signInAs(c, await makeAccount(c, { unitId: (await makeUnit(c, agencyB)).id }))).actor;
  venueId = (await makeItem(c, { agencyId: agencyA, siteId, custodians: [keeper.id] })).id;
  carId = (await makeItem(c, { kind: "car", agencyId: agencyA, siteId, custodians: [keeper.id] })).id;
  valid = {
    siteId: String(siteId),
    agencyId: String(agencyA),
    name: "模糊測試",
    floor: "1F",
    capacity: "10",
    openFrom: "08:00",
    openTo: "18:00",
    phone: "06-1234567",
    description: "說明",
    rules: "規範",
    plateNo: "ABC-1234",
    passengerLimit: "4",
    brand: "Toyota",
    year: "2024",
    displacementCc: "1800",
    carNo: "CAR-1",
    licence: "職業駕照",
    note: "備註",
    isPublic: "true",
    borrowScope: "listed",
    listedAgencyIds: String(agencyB),
    custodian1: String(keeper.id),
    custodian2: "",
  };
});
afterAll(() => c?.close());

const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "0", "-1", "1e9", "NaN", "null", "\u0000", "a\ud800", "<script>", "9".repeat(30), "24:00"),
  fc.constantFrom("99999999", "2147483648", "1000000000", "__proto__", "constructor", "listed", "true"),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 4 }),
  fc.object({ maxDepth: 1 }),
  fc.string({ minLength: 2001, maxLength: 2100 }),
);

/** A form where each field is either right or junk, so refusals come from every layer. */
const form = () =>
  fc.record(
    Object.fromEntries(
      Object.keys(valid).map((k) => [k, fc.oneof({ weight: 12, arbitrary: fc.constant(valid[k]) }, junk)]),
    ),
    { requiredKeys: [] },
  ) as fc.Arbitrary<ItemFormInput>;

const expected = (e: unknown) =>
  typeof e === "object" &&
  e !== null &&
  (e as { name?: string }).name === "DomainError" &&
  ["invalid", "not_found", "conflict"].includes((e as { code: string }).code);

/** Everything 物品管理 writes, to show a refusal left it as it was. */
async function snapshot() {
  const count = async (t: "items" | "item_custodians" | "custodian_changes" | "item_allowed_agencies" | "audit_log") =>
    Number(
      (
        await c.db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const items = await c.db.selectFrom("items").selectAll().orderBy("id").execute();
  return {
    counts: await Promise.all(
      (["items", "item_custodians", "custodian_changes", "item_allowed_agencies", "audit_log"] as const).map(count),
    ),
    items: JSON.stringify(items),
  };
}

describe("generated hostile input never breaks 物品管理's create and edit", () => {
  it("create: a DomainError that changes nothing, or a new item", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("venue", "car", "driver" as const), form(), async (kind, input) => {
        const before = await snapshot();
        try {
          await c.services.items.create(admin, kind, input);
        } catch (e) {
          if (!expected(e)) throw e;
          expect(await snapshot()).toEqual(before);
        }
      }),
      { numRuns: 80 },
    );
  });

  it("update: a DomainError that changes nothing, or the edit; out of scope is always not found", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(["venue", venueId] as const, ["car", carId] as const),
        form(),
        fc.oneof({ weight: 4, arbitrary: fc.constant("mine") }, junk),
        async ([kind, id], input, itemId) => {
          const before = await snapshot();
          try {
            // Hostile: not even an id of the type a route hands over.
            await c.services.items.update(admin, kind, (itemId === "mine" ? id : itemId) as IdParam, input);
          } catch (e) {
            if (!expected(e)) throw e;
            expect(await snapshot()).toEqual(before);
          }
          await expect(
            c.services.items.update(outsider, kind, id, { ...valid, name: "外人改名" }),
          ).rejects.toMatchObject({
            code: "not_found",
          });
        },
      ),
      { numRuns: 80 },
    );
  });

  it("a whole body that is not a form is refused as invalid", async () => {
    for (const body of [null, "字串", 42, [], [valid]] as unknown as ItemFormInput[]) {
      await expect(c.services.items.create(admin, "venue", body)).rejects.toMatchObject({ code: "invalid" });
      await expect(c.services.items.update(admin, "venue", venueId, body)).rejects.toMatchObject({ code: "invalid" });
    }
  });
});
