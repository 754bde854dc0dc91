/** Carries the page to return to across the sign-in pages (/login, /login/temporary, /login/totp). */
export const withRedirect = (path: string, to: string | null | undefined) =>
  to && to !== "/" ? `${path}?redirectTo=${encodeURIComponent(to)}` : path;
