// A small history-API router: the path is the state.
import { useEffect, useState } from 'react';

const listeners = new Set<() => void>();
export function navigate(to: string, replace = false) {
  if (replace) history.replaceState(null, '', to); else history.pushState(null, '', to);
  listeners.forEach((fn) => fn());
}
window.addEventListener('popstate', () => listeners.forEach((fn) => fn()));

export function useLocation() {
  const [loc, setLoc] = useState(() => ({ path: location.pathname, query: new URLSearchParams(location.search) }));
  useEffect(() => {
    const fn = () => setLoc({ path: location.pathname, query: new URLSearchParams(location.search) });
    listeners.add(fn);
    return () => { listeners.delete(fn); };
  }, []);
  return loc;
}

/** Follows a same-origin link without reloading the page. */
export function onLinkClick(e: React.MouseEvent<HTMLAnchorElement>) {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(e.currentTarget.getAttribute('href')!);
}
