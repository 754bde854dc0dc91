/** The demo organisation, sites and accounts. README.md lists the same accounts. */

export const DEMO_PASSWORD = "Portal@Tainan2026";

export interface OrgSeed {
  code: string;
  name: string;
  kind: "agency" | "unit";
  parent?: string;
  mailQuota?: number;
}

export const demoOrg: OrgSeed[] = [
  { code: "rdec", name: "研究發展考核委員會", kind: "agency", mailQuota: 50 },
  { code: "rdec.smart", name: "智慧發展中心", kind: "unit", parent: "rdec" },
  { code: "rdec.smart.onsite", name: "駐府人員", kind: "unit", parent: "rdec.smart" },
  { code: "rdec.plan", name: "綜合規劃科", kind: "unit", parent: "rdec" },
  { code: "law", name: "法制處", kind: "agency", mailQuota: 30 },
  { code: "law.reg", name: "法制科", kind: "unit", parent: "law" },
  { code: "law.appeal", name: "訴願科", kind: "unit", parent: "law" },
  { code: "dpo", name: "災害防救辦公室", kind: "agency", mailQuota: 20 },
  { code: "dpo.ops", name: "應變作業科", kind: "unit", parent: "dpo" },
  { code: "civil", name: "民政局", kind: "agency", mailQuota: 80 },
  { code: "civil.household", name: "戶政科", kind: "unit", parent: "civil" },
  { code: "finance", name: "財政稅務局", kind: "agency", mailQuota: 60 },
  { code: "finance.treasury", name: "公庫科", kind: "unit", parent: "finance" },
  { code: "edu", name: "教育局", kind: "agency", mailQuota: 100 },
  { code: "edu.primary", name: "國小教育科", kind: "unit", parent: "edu" },
  { code: "edu.yonghua", name: "臺南市立永華國民中學", kind: "agency", parent: "edu", mailQuota: 10 },
  { code: "edu.yonghua.office", name: "教務處", kind: "unit", parent: "edu.yonghua" },
  { code: "works", name: "工務局", kind: "agency", mailQuota: 70 },
  { code: "works.roads", name: "養護工程科", kind: "unit", parent: "works" },
  { code: "traffic", name: "交通局", kind: "agency", mailQuota: 40 },
  { code: "traffic.plan", name: "運輸計畫科", kind: "unit", parent: "traffic" },
  { code: "social", name: "社會局", kind: "agency", mailQuota: 60 },
  { code: "social.welfare", name: "社會救助科", kind: "unit", parent: "social" },
  { code: "health", name: "衛生局", kind: "agency", mailQuota: 50 },
  { code: "health.east", name: "東區衛生所", kind: "agency", parent: "health", mailQuota: 8 },
  { code: "secretariat", name: "秘書處", kind: "agency", mailQuota: 40 },
  { code: "secretariat.general", name: "總務科", kind: "unit", parent: "secretariat" },
  { code: "rdec.vendor", name: "委外維修廠商（駐點）", kind: "unit", parent: "rdec" },
];

export const demoSites = [
  { name: "民治市政中心", address: "臺南市新營區民治路36號" },
  { name: "永華市政中心", address: "臺南市安平區永華路二段6號" },
  { name: "東區衛生所", address: "臺南市東區林森路一段418號" },
  { name: "臺南市立永華國民中學", address: "臺南市中西區永華路一段" },
];

export interface AccountSeed {
  username: string;
  name: string;
  title: string;
  unit: string;
  role: "user" | "agency_admin" | "sys_admin";
  phone: string;
  /** Days since the password was set: shows the expiry reminder when near the limit. */
  passwordAgeDays?: number;
  note: string;
}

export const demoAccounts: AccountSeed[] = [
  {
    username: "sysadmin",
    name: "系統管理員",
    title: "系統管理師",
    unit: "rdec.smart",
    role: "sys_admin",
    phone: "06-2991111",
    note: "系統管理者：全部機關",
  },
  {
    username: "rdec.admin",
    name: "林怡君",
    title: "科長",
    unit: "rdec.smart",
    role: "agency_admin",
    phone: "06-2991112",
    note: "機關管理者：研究發展考核委員會",
  },
  {
    username: "law.admin",
    name: "陳建宏",
    title: "專員",
    unit: "law.reg",
    role: "agency_admin",
    phone: "06-2991201",
    note: "機關管理者：法制處",
  },
  {
    username: "wang.xm",
    name: "王小明",
    title: "工程師",
    unit: "rdec.smart.onsite",
    role: "user",
    phone: "06-2991113",
    note: "一般使用者（研考會 › 智慧發展中心 › 駐府人員）",
  },
  {
    username: "huang.mf",
    name: "黃美芳",
    title: "科員",
    unit: "rdec.plan",
    role: "user",
    phone: "06-2991114",
    passwordAgeDays: 85,
    note: "一般使用者；密碼將於 5 天後到期",
  },
  {
    username: "lee.zw",
    name: "李志偉",
    title: "法制專員",
    unit: "law.appeal",
    role: "user",
    phone: "06-2991202",
    note: "一般使用者（法制處）",
  },
  {
    username: "chang.yt",
    name: "張雅婷",
    title: "技士",
    unit: "dpo.ops",
    role: "user",
    phone: "06-2981301",
    note: "一般使用者（災害防救辦公室）",
  },
  {
    username: "wu.jh",
    name: "吳俊賢",
    title: "幹事",
    unit: "edu.yonghua.office",
    role: "user",
    phone: "06-2221401",
    note: "一般使用者（教育局所屬：永華國中）",
  },
  {
    username: "vendor.chen",
    name: "陳志明",
    title: "維修工程師",
    unit: "rdec.vendor",
    role: "user",
    phone: "06-2991180",
    note: "維修人員（報修類型「公文管理系統」「資訊設備」的維修廠商）",
  },
];

/** Demo items (物品管理): matched by kind, managing agency and name, so a re-run adds nothing twice. */
export interface ItemSeed {
  kind: "venue" | "car" | "driver";
  agency: string; // org code
  site: string; // site name
  name: string;
  custodians: string[]; // usernames, slot 1 then slot 2
  isPublic: boolean;
  scope: "all" | "own" | "listed";
  listed?: string[]; // org codes
  hours?: [string, string];
  floor?: string;
  capacity?: number;
  phone?: string;
  description?: string;
  rules?: string;
  plateNo?: string;
  passengerLimit?: number;
  brand?: string;
  year?: number;
  displacementCc?: number;
  carNo?: string;
  licence?: string;
  note?: string;
  /** Drivers (by name, same agency) bound to a car. */
  drivers?: string[];
}

export const demoItems: ItemSeed[] = [
  {
    kind: "venue",
    agency: "rdec",
    site: "民治市政中心",
    name: "第一會議室",
    floor: "2樓",
    capacity: 40,
    hours: ["08:00", "18:00"],
    phone: "06-6322231",
    description: "投影機、麥克風 2 支、白板；可視訊會議。",
    rules: "使用後請關閉冷氣與投影機，桌椅恢復原狀。",
    isPublic: true,
    scope: "all",
    custodians: ["rdec.admin", "wang.xm"],
  },
  {
    kind: "venue",
    agency: "law",
    site: "永華市政中心",
    name: "10F 簡報室",
    floor: "10樓",
    capacity: 24,
    hours: ["08:30", "17:30"],
    phone: "06-2991201",
    description: "簡報設備、會議桌 24 席。",
    isPublic: true,
    scope: "listed",
    listed: ["rdec"],
    custodians: ["law.admin"],
  },
  {
    kind: "driver",
    agency: "rdec",
    site: "民治市政中心",
    name: "葉志明",
    licence: "職業小型車",
    phone: "0912-345678",
    isPublic: true,
    scope: "own",
    custodians: ["rdec.admin"],
  },
  {
    kind: "car",
    agency: "rdec",
    site: "民治市政中心",
    name: "Toyota Corolla Altis",
    plateNo: "RDE-0001",
    passengerLimit: 4,
    brand: "Toyota",
    year: 2022,
    displacementCc: 1798,
    carNo: "RDEC-001",
    hours: ["08:00", "18:00"],
    note: "鑰匙請向綜合規劃科領取。",
    isPublic: true,
    scope: "own",
    custodians: ["rdec.admin"],
    drivers: ["葉志明"],
  },
];
