/** An application or account row as the account form's string values. */
export function valuesOf(r: {
  username: string;
  name: string;
  title: string;
  unit_id: number;
  agency_id: number;
  office_phone: string;
  office_ext: string;
  work_address: string;
  needs_official_mail: boolean;
  backup_email: string | null;
}): Record<string, string> {
  return {
    username: r.username,
    name: r.name,
    title: r.title,
    unitId: String(r.unit_id),
    agencyId: String(r.agency_id),
    officePhone: r.office_phone,
    officeExt: r.office_ext,
    workAddress: r.work_address,
    needsOfficialMail: r.needs_official_mail ? "1" : "0",
    backupEmail: r.backup_email ?? "",
  };
}

export const applicationTypeLabels: Record<string, string> = {
  activation: "帳號啟用",
  reactivation: "帳號復用",
  agency_change: "機關異動",
  role_change: "權限異動",
};
export const applicationResultLabels: Record<string, string> = {
  pending: "未審核",
  scheduled: "預約生效中",
  approved: "通過",
  rejected: "駁回",
};
