import type { Elysia } from "elysia";

type RouteMatcher = { method: string; pattern: RegExp };

function compileRoutes(history: readonly { method: string; path: string }[]): RouteMatcher[] {
  // The web app's catch-all answers any GET; it says nothing about what a path allows.
  return history.filter(({ path }) => path !== "/*").map(({ method, path }) => {
    const body = path
      .replace(/\/+$/, "")
      .split("/")
      .map((segment) => (segment === "*" ? ".*" : segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    return { method: method.toUpperCase(), pattern: new RegExp(`^${body}/?$`) };
  });
}

/**
 * The other methods that answer a path, for a 405 with Allow instead of a 404. Reads the app's
 * routes when first asked (they are all registered by then) and again if more were added.
 */
export function allowedMethods(app: Elysia): (method: string, pathname: string) => string[] {
  let routes: RouteMatcher[] = [];
  let seen = -1;
  return (method, pathname) => {
    const history = app.router.history;
    if (seen !== history.length) {
      routes = compileRoutes(history);
      seen = history.length;
    }
    const allow = new Set<string>();
    for (const route of routes) {
      if (route.method !== method && route.method !== "ALL" && route.pattern.test(pathname)) allow.add(route.method);
    }
    return [...allow].sort();
  };
}
