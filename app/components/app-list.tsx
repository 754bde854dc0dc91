/** IDN-8 應用程式列表 tiles: each opens /apps/:id/open (transfer sign-in or a plain link). */
export function AppTiles({ apps }: { apps: { id: number; label: string; icon: string; client_id: string | null }[] }) {
  if (apps.length === 0) return <p className="empty">目前沒有可使用的應用程式。</p>;
  return (
    <ul className="sso-app-list">
      {apps.map((a) => (
        <li key={a.id} className={a.client_id ? "sso-app-system" : "sso-app-link"}>
          <a href={`/apps/${a.id}/open`}>
            <span className="sso-app-icon" aria-hidden="true">
              {a.icon || [...a.label][0]}
            </span>
            <span>{a.label}</span>
          </a>
        </li>
      ))}
    </ul>
  );
}
