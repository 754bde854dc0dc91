import type { ReactNode } from "react";

/** The one table row shown when a data table has no rows; spans every column so it reads as the table's body. */
export function EmptyRow({ colSpan, children = "目前沒有資料" }: { colSpan: number; children?: ReactNode }) {
  return (
    <tr>
      <td colSpan={colSpan} className="empty">
        {children}
      </td>
    </tr>
  );
}
