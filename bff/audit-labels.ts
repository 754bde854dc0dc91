/**
 * The one table of audit-log wording (PRT-5, ACC-19 帳號使用紀錄): every `action` and
 * `target_type` written by `writeAudit` reads as zh-TW here, never as its code.
 *
 * Adding an audit action: add its code below in its group (alphabetical within a group is
 * not required). `bff/audit-labels.test.ts` scans bff/ for the codes passed to writeAudit
 * (and its wrappers) and fails when one has no label. Pass the code as a literal on the line
 * that writes it (`action: "x.y"`), so the scan finds it.
 */
export const auditActionLabels: Record<string, string> = {
  // 帳號（ACC）
  "account.data": "修改帳號資料",
  "account.disable": "停用帳號",
  "account.enable": "啟用帳號",
  "account.status": "變更帳號狀態",
  "account.batch-disable": "批次停用",
  "account.idle-disable": "閒置停用",
  "account.idle-disable.refused": "閒置停用未執行（尚有保管或管理責任）",
  "account.export": "匯出帳號清單",
  "account.export-changes": "匯出帳號異動紀錄",
  "account.export-login-records": "匯出帳號登入紀錄",
  "account.password.change": "變更密碼",
  "account.reset-password": "重設密碼",
  "account.role": "變更權限",
  "account.role.grant_sys_admin": "授予系統管理者",
  "account.self_update": "修改個人資料",
  "account.unit": "異動單位",
  "account.lock": "鎖定帳號",
  "account.unlock": "解除鎖定",
  "account.certificate_link": "綁定自然人憑證",
  "account.certificate_unlink": "解除自然人憑證綁定",
  "totp.enable": "啟用 OTP 驗證",
  "totp.reset": "重設 OTP 驗證",
  "totp.recovery_codes.generate": "產生 OTP 復原碼",
  "totp.recovery_code.use": "使用 OTP 復原碼登入",
  "passkey.register": "新增通行金鑰",
  "passkey.remove": "移除通行金鑰",
  // 登入裝置與授權
  "session.end": "結束登入裝置",
  "session.end_others": "登出其他所有裝置",
  "account.end_sessions": "結束帳號所有裝置的登入",
  "oidc_grant.revoke": "撤銷系統授權",
  // 帳號申請與審核
  "account_application.approve": "審核通過帳號申請",
  "account_application.reject": "駁回帳號申請",
  "account_application.export": "匯出帳號審核清單",
  "account_application.submit.role_change": "申請成為機關管理者",
  "account_application.submit.agency_change": "申請機關異動",
  "scheduled_change.cancel": "取消預約生效",
  "scheduled_change.export": "匯出預約清單",
  // 目錄服務（AD）
  "directory.link": "連結既有 AD 帳號",
  "directory.link-import": "匯入 AD 帳號連結",
  "directory.reconcile-fix": "修正 AD 帳號差異",
  "directory.retry": "重新同步 AD 帳號",
  "directory.retry-all": "重新同步全部 AD 帳號",
  // 物品與借用
  "item.create": "新增物品",
  "item.update": "修改物品",
  "item.delete": "刪除物品",
  "item.custodian": "保管移轉",
  "item.image.add": "新增場地圖片",
  "item.image.remove": "刪除場地圖片",
  "item.drivers.add": "新增公務車司機",
  "item.drivers.remove": "刪除公務車司機",
  "item.drivers.set": "設定公務車司機",
  approve: "核准借用",
  reject: "駁回借用",
  // 報修
  "repair.report": "報修",
  "repair.handle": "處理報修",
  "repair.return": "退回報修",
  "repair.resubmit": "重新送出報修",
  "repair_type.create": "新增報修類型",
  "repair_type.update": "修改報修類型",
  "repair_type.delete": "刪除報修類型",
  "repair_type.custodian": "報修類型保管移轉",
  // 機關及郵件系統帳號（共用帳號）
  "shared_account.apply": "申請機關及郵件系統帳號",
  "shared_account.review_approve": "審核通過機關及郵件系統帳號",
  "shared_account.review_reject": "駁回機關及郵件系統帳號",
  "shared_account.custodian": "機關及郵件系統帳號保管移轉",
  "shared_account.reset_password": "重設機關及郵件系統帳號密碼",
  "shared_account.unlock": "解除機關及郵件系統帳號鎖定",
  "shared_account.disable": "停用機關及郵件系統帳號",
  "shared_account.export_list": "匯出機關及郵件系統帳號清單",
  "shared_account.export_reviews": "匯出機關及郵件系統帳號審核清單",
  "shared_account.export_data_log": "匯出機關及郵件系統帳號資料異動紀錄",
  "shared_account.export_status_log": "匯出機關及郵件系統帳號狀態異動紀錄",
  // 單一登入
  "oidc_client.enable": "啟用系統",
  "oidc_client.disable": "停用系統",
  "oidc_client.rotate_secret": "重新產生用戶端密鑰",
  "oidc_client.backchannel_logout": "設定登出通知網址",
  "oidc_client.transfer_settings": "修改轉登設定",
  "sso_application.approve": "審核通過單一登入申請",
  "sso_application.reject": "駁回單一登入申請",
  "sso_application.secret_viewed": "檢視用戶端密鑰",
  "app_list.add": "新增應用程式列表項目",
  "app_list.update": "修改應用程式列表項目",
  "app_list.remove": "刪除應用程式列表項目",
  // 系統
  "system_param.update": "修改系統參數",
  "job.retry": "重試背景工作",
  "job.discard": "捨棄背景工作",
  "push.test": "傳送測試推播",
};

/** What an audit row is about; shown as 「帳號申請 #5（陳新人）」. */
export const auditTargetLabels: Record<string, string> = {
  account: "帳號",
  account_application: "帳號申請",
  passkey: "通行金鑰",
  scheduled_change: "預約生效",
  directory: "目錄服務",
  item: "物品",
  repair_ticket: "報修單",
  repair_type: "報修類型",
  shared_account: "機關及郵件系統帳號",
  oidc_client: "單一登入系統",
  sso_application: "單一登入申請",
  app_list_entry: "應用程式列表項目",
  system_param: "系統參數",
  job: "背景工作",
};

/** `<action>.schedule` is the 預約生效 of `<action>` (bff/accounts/schedule.ts). */
const SCHEDULED = ".schedule";

/** An action code in zh-TW; a code with no label shows as is (the test keeps that from happening). */
export function auditActionLabel(code: string): string {
  const exact = auditActionLabels[code];
  if (exact) return exact;
  if (code.endsWith(SCHEDULED)) {
    const base = auditActionLabels[code.slice(0, -SCHEDULED.length)];
    if (base) return `${base}（預約）`;
  }
  return code;
}

/** 「帳號申請 #5（陳新人）」: the target's kind, its id, and its name when known. */
export function auditTargetLabel(type: string, id: string, name?: string | null): string {
  const kind = auditTargetLabels[type] ?? type;
  const which = id === "all" ? "（全部）" : ` #${id}`;
  return name ? `${kind}${which}（${name}）` : `${kind}${which}`;
}
