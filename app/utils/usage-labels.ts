/** How a sign-in was made (ACC-19 帳號登入紀錄). Audit actions read through bff/audit-labels.ts. */
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
