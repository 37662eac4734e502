import type { IncomingHttpHeaders } from "node:http";

export const SESSION_COOKIE = "lab_session";

/**
 * HttpOnly keeps the token away from page scripts (and from any output that escapes its iframe);
 * SameSite=Lax keeps it off cross-site POSTs; Secure whenever the site is served over https.
 */
export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  return serialize(token, maxAge, secure);
}

export function clearedSessionCookie(secure: boolean): string {
  return serialize("", 0, secure);
}

function serialize(value: string, maxAge: number, secure: boolean): string {
  const parts = [`${SESSION_COOKIE}=${value}`, "Path=/", `Max-Age=${maxAge}`, "HttpOnly", "SameSite=Lax"];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

/** The session token from `Authorization: Bearer …` (scripts, CLI) or else the session cookie (browser). */
export function readSessionToken(headers: IncomingHttpHeaders): { token: string; source: "bearer" | "cookie" } | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "")?.[1];
  if (bearer) return { token: bearer, source: "bearer" };
  for (const pair of (headers.cookie ?? "").split(";")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq).trim() === SESSION_COOKIE) {
      const token = pair.slice(eq + 1).trim();
      if (token) return { token, source: "cookie" };
    }
  }
  return null;
}
