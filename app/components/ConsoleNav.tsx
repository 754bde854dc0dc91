import { Link, NavLink, useLocation } from "@remix-run/react";

/** What the BFF's console registry (bff/console/registry.ts) gives this actor. */
export interface ConsoleSectionView {
  group: string;
  entries: { id: string; title: string; href: string; counts: { label: string; n: number }[] }[];
}

/** Only counts above zero are shown; the label says what waits (「待審核 3」). */
function Counts({ counts }: { counts: { label: string; n: number }[] }) {
  const shown = counts.filter((c) => c.n > 0);
  if (shown.length === 0) return null;
  return (
    <span className="console-counts">
      {shown.map((c) => (
        <span key={c.label} className="console-count">
          {c.label} {c.n}
        </span>
      ))}
    </span>
  );
}

function Links({ sections, idPrefix }: { sections: ConsoleSectionView[]; idPrefix: string }) {
  return (
    <>
      <Link to="/admin" className="console-nav-home">
        主控台首頁
      </Link>
      {sections.map((s, i) => (
        <div key={s.group} className="console-nav-group">
          <p className="console-nav-heading" id={`${idPrefix}-${i}`}>
            {s.group}
          </p>
          <ul aria-labelledby={`${idPrefix}-${i}`}>
            {s.entries.map((e) => (
              <li key={e.id}>
                <NavLink to={e.href} prefetch="intent">
                  <span>{e.title}</span>
                  <Counts counts={e.counts} />
                </NavLink>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </>
  );
}

/**
 * The console's navigation: a side column on wide screens, a disclosure (closed after each
 * navigation) on phones. Both render the same list; CSS shows one of them.
 */
export function ConsoleNav({ sections }: { sections: ConsoleSectionView[] }) {
  const { pathname } = useLocation();
  return (
    <>
      <nav className="console-nav console-nav-side" aria-label="管理主控台">
        <Links sections={sections} idPrefix="console-side" />
      </nav>
      {pathname === "/admin" ? null : (
        <details className="console-nav-menu" key={pathname}>
          <summary>管理主控台選單</summary>
          <nav className="console-nav" aria-label="管理主控台">
            <Links sections={sections} idPrefix="console-menu" />
          </nav>
        </details>
      )}
    </>
  );
}

/** The console home: every function the actor may use, grouped, with what waits there. */
export function ConsoleHome({ sections }: { sections: ConsoleSectionView[] }) {
  return (
    <div className="console-home">
      {sections.map((s, i) => (
        <section key={s.group} className="card" aria-labelledby={`console-home-${i}`}>
          <h2 id={`console-home-${i}`}>{s.group}</h2>
          <ul className="console-home-list">
            {s.entries.map((e) => (
              <li key={e.id}>
                <Link to={e.href} prefetch="intent">
                  <span className="console-home-title">{e.title}</span>
                  <Counts counts={e.counts} />
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
