/** zh-TW labels the BFF writes into change logs and exports (the UI has its own copy in app/utils/labels.ts). */
export const roleText: Record<string, string> = {
  user: "一般使用者",
  agency_admin: "機關管理者",
  sys_admin: "系統管理者",
};
export const statusText: Record<string, string> = { enabled: "啟用", disabled: "停用", inactive: "未啟用" };
export const permissionText: Record<string, string> = { normal: "正常使用中", locked: "鎖定" };
export const methodText: Record<string, string> = {
  password: "帳號密碼",
  totp: "OTP驗證",
  recovery_code: "復原碼",
  passkey: "通行金鑰",
  temporary: "臨時密碼",
  temp_password: "臨時密碼",
  certificate: "自然人憑證",
  sso: "單一登入",
  api: "帳號驗證機制",
};
export const actionText: Record<string, string> = { login: "登入", logout: "登出" };
export const resultText: Record<string, string> = {
  success: "成功",
  wrong_password: "密碼錯誤",
  unknown_user: "帳號不存在",
  locked: "帳號鎖定",
  disabled: "帳號停用",
  inactive: "帳號未開通",
  invalid_input: "輸入格式錯誤",
  bad_certificate: "憑證無效",
  bad_signature: "憑證簽章錯誤",
  stale_challenge: "登入請求逾時或重複",
  revoked_certificate: "憑證已廢止",
  revocation_unknown: "無法確認憑證狀態",
  throttled: "嘗試過於頻繁，暫緩受理",
};
export const yesNo = (b: boolean) => (b ? "是" : "否");
export const text = (labels: Record<string, string>, code: string | null | undefined) =>
  code ? (labels[code] ?? code) : "";
