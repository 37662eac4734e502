/** Only same-site paths: `?next=//evil.example` or `?next=https://…` must not redirect off the app. */
export function safeNextPath(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/history";
  return next;
}
