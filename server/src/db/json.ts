/**
 * Postgres text and jsonb cannot hold NUL (U+0000), and kernels and models can print it (data steers both).
 * Everything they produce passes through here on its way in: NUL becomes U+FFFD, in keys and values alike,
 * so a cell or an answer is kept, readable, rather than failing to be stored.
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === "string") return (value.includes("\0") ? value.replaceAll("\0", "\uFFFD") : value) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), withoutNul(v)])) as T;
  }
  return value;
}

/** JSON for a jsonb column: the common case is one stringify; only JSON that has a NUL is rebuilt. */
export function jsonb(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes("\\u0000") ? JSON.stringify(withoutNul(value)) : text;
}
