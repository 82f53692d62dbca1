// The operator token: remembered in localStorage; `?token=` (as printed by `arena serve`)
// fills it in and is then removed from the address bar so it is not bookmarked or shared.

const KEY = "arena.operatorToken";

export function loadToken() {
  try {
    return localStorage.getItem(KEY) ?? "";
  } catch {
    return ""; // storage disabled: the token lives only in the input
  }
}

export function saveToken(token) {
  try {
    if (token) localStorage.setItem(KEY, token);
    else localStorage.removeItem(KEY);
  } catch {
    /* storage disabled */
  }
}

/** Take `?token=` from the URL (saving it), strip it from the address bar; returns the token in effect. */
export function adoptTokenFromUrl(location = window.location, history = window.history) {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl === null) return loadToken();
  saveToken(fromUrl.trim());
  url.searchParams.delete("token");
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  return fromUrl.trim();
}
