/** What a refused certificate sign-in tells the user (zh-TW), by reason. */
export const certificateMessages = {
  missing: "請先插入自然人憑證並輸入 PIN 碼完成簽章。",
  malformed: "憑證或簽章資料格式不正確，請重新操作。",
  staleChallenge: "此次登入請求已使用或已逾時，請重新操作。",
  untrusted: "此憑證不是由本系統信任的憑證機構所簽發，無法使用。",
  expired: "憑證已過期，請至內政部憑證管理中心辦理展期或換發後再試。",
  notYetValid: "憑證尚未生效，請確認電腦日期或稍後再試。",
  notForSigning: "此憑證不能用於簽章，請使用自然人憑證卡上的簽章憑證。",
  noCardNo: "無法從憑證讀取卡號，請聯絡系統管理者。",
  badSignature: "憑證簽章驗證失敗，請重新操作。",
  unknownCard: "此自然人憑證尚未綁定入口網帳號。請先以帳號密碼登入，再至「我的 › 自然人憑證」綁定。",
  cardTaken: "此自然人憑證已綁定其他帳號，請聯絡機關管理者。",
  revoked: "憑證已廢止，無法用於登入。如已換發新卡，請以帳號密碼登入後至「我的 › 自然人憑證」重新綁定。",
  revocationUnknown: "無法確認憑證狀態，請稍後再試或改用帳號密碼登入。",
  notConfigured: "本系統尚未啟用自然人憑證登入，請改用帳號密碼登入。",
} as const;
