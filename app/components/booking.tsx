import { bookingStatusLabels, label } from "~/utils/labels";

type StepState = "free" | "taken" | "past";

/**
 * A day's bookable hours as a bar of 30-minute steps (CSS flex, no inline styles: the CSP
 * forbids them). Purely visual: the same facts are always given as text next to it.
 */
export function SlotBar({
  steps,
  open,
  close,
  large = false,
}: {
  steps: StepState[];
  open: string;
  close: string;
  large?: boolean;
}) {
  return (
    <div className={`slotbar${large ? " slotbar-large" : ""}`} aria-hidden="true">
      <div className="slotbar-steps">
        {steps.map((s, i) => (
          <span key={i} className={`slot slot-${s}`} />
        ))}
      </div>
      <div className="slotbar-scale">
        <span>{open}</span>
        <span>{close}</span>
      </div>
    </div>
  );
}

export function SlotLegend() {
  return (
    <p className="slot-legend" aria-hidden="true">
      <span>
        <span className="slot-swatch slot-free" />
        可預約
      </span>
      <span>
        <span className="slot-swatch slot-taken" />
        已預約
      </span>
      <span>
        <span className="slot-swatch slot-past" />
        已過
      </span>
    </p>
  );
}

/** 「已預約 10:00–11:00、14:00–15:00」 or 「全天可預約」: what the bar shows, in words. */
export function TakenText({ taken }: { taken: string[] }) {
  return <p className="taken-text">{taken.length === 0 ? "開放時間內尚無預約" : `已預約 ${taken.join("、")}`}</p>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`status status-${status}`}>{label(bookingStatusLabels, status)}</span>;
}

/** Where an item is: 「永華市政中心 3F・研考會」 (預約's list and 找空場地). */
export function ItemPlace({ item }: { item: { siteName: string; floor: string | null; agencyName: string } }) {
  return (
    <p className="item-meta">
      {item.siteName}
      {item.floor ? ` ${item.floor}` : ""}・{item.agencyName}
    </p>
  );
}
