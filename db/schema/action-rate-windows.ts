/** Issue 14 item 2: fixed-window action counts (bff/rate-windows.ts). */
export interface ActionRateWindowsTable {
  action: string;
  subject: string;
  window_start: Date;
  count: number;
}

export interface ActionRateWindowTables {
  action_rate_windows: ActionRateWindowsTable;
}
