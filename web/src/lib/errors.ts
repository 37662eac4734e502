import { TRPCClientError } from "@trpc/client";

/** The server's own message where there is one (AppError messages are written for people). */
export function errorMessage(err: unknown, fallback: string): string {
  if (err instanceof TRPCClientError) {
    // A fetch that never reached the server has no data: say so rather than "Failed to fetch".
    if (!err.data && /fetch|network/i.test(err.message)) return fallback;
    return err.message || fallback;
  }
  if (err instanceof Error && err.message) return err.message;
  return fallback;
}

export function errorCode(err: unknown): string | null {
  if (err instanceof TRPCClientError) {
    const code: unknown = err.data?.code;
    return typeof code === "string" ? code : null;
  }
  return null;
}
