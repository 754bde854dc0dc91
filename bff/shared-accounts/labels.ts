import type { SharedAccountReview, SharedAccountType } from "../../db/schema/shared-accounts.js";

/** ACC-14: the three kinds of shared account, as the manual names them. */
export const sharedTypeText: Record<SharedAccountType, string> = {
  agency: "機關帳號",
  mail: "郵件系統帳號",
  system: "資訊系統帳號",
};
export const reviewText: Record<SharedAccountReview, string> = {
  pending: "未審核",
  approved: "通過",
  rejected: "駁回",
};
export const sharedStatusText: Record<string, string> = { enabled: "啟用", disabled: "停用", inactive: "未啟用" };
export const sharedPermissionText: Record<string, string> = { normal: "正常使用中", locked: "鎖定" };

export const SHARED_TYPES = Object.keys(sharedTypeText) as SharedAccountType[];
export const REVIEW_STATES = Object.keys(reviewText) as SharedAccountReview[];
