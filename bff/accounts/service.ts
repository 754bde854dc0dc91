import { directParams } from "../params/store.js";
import { batchDisable } from "./batch.js";
import { exportList, listPage } from "./browse.js";
import { changeRole } from "./change-role.js";
import { createAccountScheduledExecutors } from "./changes.js";
import { colleagues, transferCustody } from "./custody.js";
import type { AccountDeps } from "./deps.js";
import { accountDetail } from "./detail.js";
import { updateData } from "./edit-data.js";
import { setPermission } from "./login-permission.js";
import { changeEntry, changeLog, exportChanges, exportRecords, loginRecord, loginRecords } from "./logs.js";
import { changeUnit } from "./move-unit.js";
import { myAccount, myLoginRecords } from "./my-account.js";
import { resetPassword } from "./reset-password.js";
import { setStatus } from "./set-status.js";
import { getAccount } from "./target.js";
import type { Actor } from "../actor.js";
import type { AccountRef } from "./deps.js";

/**
 * 個人公務帳號管理 (ACC-4/5/9/10/11/12/19): the use cases, one file each with their `deps`
 * (deps.ts) and their form schemas (schemas.ts), bound here to one set of dependencies for
 * bff/container.ts and the routes.
 */
export function createAccountsService(deps: Omit<AccountDeps, "params"> & { params?: AccountDeps["params"] }) {
  // PRT-5 password age: read straight from the table when no cached reader is given.
  const full: AccountDeps = { ...deps, params: deps.params ?? directParams(deps.db) };
  const bind =
    <A extends unknown[], R>(useCase: (d: AccountDeps, ...args: A) => R) =>
    (...args: A) =>
      useCase(full, ...args);
  return {
    getAccount: bind(getAccount),
    list: bind(listPage),
    exportList: bind(exportList),
    batchDisable: bind(batchDisable),
    detail: bind(accountDetail),
    updateData: bind(updateData),
    resetPassword: bind(resetPassword),
    changeUnit: bind(changeUnit),
    changeRole: bind(changeRole),
    setStatus: bind(setStatus),
    /** ACC-12 帳號狀態: unlock a locked account. */
    unlock: (actor: Actor, ref: AccountRef) => setPermission(full, actor, ref, "normal"),
    /** An admin locks an account (登入許可狀態 鎖定) until someone unlocks it. */
    lock: (actor: Actor, ref: AccountRef) => setPermission(full, actor, ref, "locked"),
    colleagues: bind(colleagues),
    transferCustody: bind(transferCustody),
    changeLog: bind(changeLog),
    changeEntry: bind(changeEntry),
    exportChanges: bind(exportChanges),
    loginRecords: bind(loginRecords),
    loginRecord: bind(loginRecord),
    exportRecords: bind(exportRecords),
    myAccount: bind(myAccount),
    myLoginRecords: bind(myLoginRecords),
    /** ACC-9/16: what the scheduled-change runner calls for account.* changes. */
    scheduledExecutors: createAccountScheduledExecutors({ directory: deps.directory }),
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
