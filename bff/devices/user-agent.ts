/**
 * A short, honest User-Agent reader for 登入裝置與授權 (ADR 0033): the browser, its major
 * version, the system and whether it is a phone, a tablet or a computer — enough for a person
 * to recognise their own device. Not a full parser (ua-parser-js 2 is AGPL; 1.x is frozen):
 * anything unrecognised reads 「其他瀏覽器」/「其他系統」, never a guess.
 */
export interface DeviceDescription {
  browser: string;
  os: string;
  kind: "手機" | "平板" | "電腦";
  /** One line for the list: 「Chrome 120・Android 14（手機）」. */
  label: string;
}

// Order matters: Edge, Opera and Samsung Internet also say Chrome; Chrome also says Safari.
const BROWSERS: [string, RegExp][] = [
  ["Edge", /\bEdgA?\/(\d+)|\bEdgiOS\/(\d+)/],
  ["Opera", /\bOPR\/(\d+)/],
  ["Samsung Internet", /\bSamsungBrowser\/(\d+)/],
  ["LINE 內建瀏覽器", /\bLine\/(\d+)/],
  ["Firefox", /\bFirefox\/(\d+)|\bFxiOS\/(\d+)/],
  ["Chrome", /\b(?:Headless)?Chrome\/(\d+)|\bCriOS\/(\d+)/],
  ["Safari", /\bVersion\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//],
];

const SYSTEMS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/\bWindows NT/, () => "Windows"],
  [/\bAndroid(?: (\d+))?/, (m) => (m[1] ? `Android ${m[1]}` : "Android")],
  [/\b(?:iPhone|CPU) OS (\d+)/, (m) => `iOS ${m[1]}`],
  [/\biPad\b/, () => "iPadOS"],
  [/\bCrOS\b/, () => "ChromeOS"],
  [/\bMac OS X\b/, () => "macOS"],
  [/\bLinux\b/, () => "Linux"],
];

function browserOf(ua: string): string {
  for (const [name, re] of BROWSERS) {
    const m = re.exec(ua);
    if (m) {
      const version = m.slice(1).find(Boolean);
      return version ? `${name} ${version}` : name;
    }
  }
  return "其他瀏覽器";
}

function osOf(ua: string): string {
  for (const [re, name] of SYSTEMS) {
    const m = re.exec(ua);
    if (m) return name(m);
  }
  return "其他系統";
}

function kindOf(ua: string): DeviceDescription["kind"] {
  if (/\biPad\b|\bTablet\b/.test(ua) || (/\bAndroid\b/.test(ua) && !/\bMobile\b/.test(ua))) return "平板";
  if (/\bMobile\b|\biPhone\b/.test(ua)) return "手機";
  return "電腦";
}

export function describeUserAgent(ua: string): DeviceDescription {
  if (!ua.trim()) return { browser: "未知的瀏覽器", os: "未知的系統", kind: "電腦", label: "未知的裝置" };
  const browser = browserOf(ua);
  const os = osOf(ua);
  const kind = kindOf(ua);
  return { browser, os, kind, label: `${browser}・${os}（${kind}）` };
}
