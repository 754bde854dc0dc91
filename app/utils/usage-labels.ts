/** 帳號使用紀錄 (ACC-19): what an audit-log action means, in zh-TW; unknown codes show as is. */
const exact: Record<string, string> = {
  "account.password.change": "變更密碼",
  "account.self_update": "修改個人資料",
  "account.data": "修改帳號資料",
  "account.disable": "停用帳號",
  "account.enable": "啟用帳號",
  "account.export": "匯出帳號清單",
  "account.role": "變更權限",
  "account.role.grant_sys_admin": "授予系統管理者",
  "account.unit": "異動單位",
  "account.unlock": "解除鎖定",
  "account.lock": "鎖定帳號",
  "account.status": "變更帳號狀態",
  "account_application.approve": "審核通過帳號申請",
  "account_application.reject": "駁回帳號申請",
  "account_application.export": "匯出帳號審核清單",
  "account_application.submit.role_change": "申請成為機關管理者",
  "account_application.submit.agency_change": "申請機關異動",
  "scheduled_change.cancel": "取消預約生效",
  "scheduled_change.export": "匯出預約清單",
  "totp.enable": "啟用 OTP 驗證",
  "totp.reset": "重設 OTP 驗證",
  "totp.recovery_codes.generate": "產生 OTP 復原碼",
  "totp.recovery_code.use": "使用 OTP 復原碼登入",
  "passkey.register": "新增通行金鑰",
  "passkey.remove": "移除通行金鑰",
  "repair.report": "報修",
  "repair.handle": "處理報修",
  "repair.return": "退回報修",
  "repair.resubmit": "重新送出報修",
  "item.create": "新增物品",
  "item.update": "修改物品",
  "item.delete": "刪除物品",
  approve: "核准借用",
  reject: "駁回借用",
};

export function usageLabel(action: string): string {
  return exact[action] ?? action;
}

export const loginMethodLabels: Record<string, string> = {
  password: "帳號密碼",
  sso: "單一登入",
  api: "帳號驗證 API",
  totp: "OTP 驗證",
  recovery_code: "復原碼",
  passkey: "通行金鑰",
  temporary: "臨時密碼",
  certificate: "自然人憑證",
};
