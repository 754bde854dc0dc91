/** zh-TW labels for codes the BFF returns. */
export const roleLabels: Record<string, string> = {
  user: "一般使用者",
  agency_admin: "機關管理者",
  sys_admin: "系統管理者",
};
export const statusLabels: Record<string, string> = { enabled: "啟用", disabled: "停用", inactive: "未啟用" };
export const loginPermissionLabels: Record<string, string> = { normal: "正常使用中", locked: "鎖定" };
export const loginActionLabels: Record<string, string> = { login: "登入", logout: "登出" };
export const loginResultLabels: Record<string, string> = {
  success: "成功",
  wrong_password: "密碼錯誤",
  unknown_user: "帳號不存在",
  locked: "帳號鎖定",
  disabled: "帳號停用",
  inactive: "帳號未開通",
  invalid_input: "輸入格式錯誤",
  totp_required: "密碼正確，待輸入驗證碼",
  wrong_code: "驗證碼錯誤",
  bad_certificate: "憑證無效",
  bad_signature: "憑證簽章錯誤",
  stale_challenge: "登入請求逾時或重複",
  revoked_certificate: "憑證已廢止",
  revocation_unknown: "無法確認憑證狀態",
  throttled: "嘗試過於頻繁，暫緩受理",
};
export const label = (labels: Record<string, string>, code: string) => labels[code] ?? code;
export const bookingStatusLabels: Record<string, string> = {
  pending: "未審核",
  approved: "已核准",
  rejected: "已駁回",
  cancelled: "已取消",
};
export const itemKindLabels: Record<string, string> = { venue: "場地", car: "公務車", driver: "司機" };
