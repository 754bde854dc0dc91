import { NavLink } from "@remix-run/react";

const icons: Record<string, string> = {
  home: "M3 11.5 12 4l9 7.5V20a1 1 0 0 1-1 1h-5v-6H9v6H4a1 1 0 0 1-1-1z",
  book: "M7 3v2M17 3v2M4 8h16M5 5h14a1 1 0 0 1 1 1v13a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm3 7h3v3H8z",
  repair: "M14.7 6.3a4 4 0 0 0-5.4 5.1L3 17.7 6.3 21l6.3-6.3a4 4 0 0 0 5.1-5.4l-2.5 2.5-2.8-.7-.7-2.8z",
  review: "M9 11l2 2 4-4M5 4h14a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z",
  me: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-8 9a8 8 0 0 1 16 0",
};

export const navItems = [
  { to: "/", label: "首頁", icon: "home", end: true },
  { to: "/book", label: "預約", icon: "book", end: false },
  { to: "/repairs", label: "報修", icon: "repair", end: false },
  { to: "/reviews", label: "審核", icon: "review", end: false },
  { to: "/me", label: "我的", icon: "me", end: false },
] as const;

/** Bottom bar on phones, side bar on desktops: the same links, placed by CSS. */
export function AppNav({ reviewCount }: { reviewCount: number }) {
  return (
    <nav className="app-nav" aria-label="主要功能">
      <ul>
        {navItems.map((item) => (
          <li key={item.to}>
            <NavLink to={item.to} end={item.end} prefetch="intent">
              <svg aria-hidden="true" viewBox="0 0 24 24" width="24" height="24">
                <path d={icons[item.icon]} />
              </svg>
              <span>{item.label}</span>
              {item.icon === "review" && reviewCount > 0 ? (
                <span className="badge" aria-label={`${reviewCount} 件待審核`}>
                  {reviewCount}
                </span>
              ) : null}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
