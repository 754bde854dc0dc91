/** An honest page for a feature that has not been built yet: no fake data. */
export function ComingSoon({ title, what }: { title: string; what: string }) {
  return (
    <div>
      <h1 className="page-title">{title}</h1>
      <section className="card">
        <p>{what}功能建置中，尚未開放使用。</p>
        <p className="muted">目前沒有資料</p>
      </section>
    </div>
  );
}
