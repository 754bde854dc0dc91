/**
 * zh-TW names of scheduled-change types and states (預約管理作業). A feature that
 * schedules a new type adds its name here; an unnamed type shows its code.
 */
export const scheduledTypeLabels: Record<string, string> = {
  "account.disable": "帳號停用",
  "account.enable": "帳號啟用",
  "account.unit": "單位異動",
  "account.role": "權限異動",
  "application.decide": "申請審核",
};

export const scheduledStateLabels: Record<string, string> = {
  pending: "待執行",
  done: "已執行",
  failed: "執行失敗",
  cancelled: "已取消",
};

export const scheduledTypeText = (type: string) => scheduledTypeLabels[type] ?? type;
