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
];
