import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

/**
 * Every provider failure, normalised: what kind it is (so the UI can say it plainly), the HTTP status if
 * there was one, and whether trying again may help. Messages never contain the key or the request.
 */
export type LlmErrorKind =
  | "auth"
  | "quota"
  | "rate_limit"
  | "model_not_found"
  | "bad_request"
  | "timeout"
  | "unreachable"
  | "server"
  | "cancelled"
  | "malformed"
  | "refused_address";

export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    readonly status: number | null,
    readonly retryable: boolean,
    message: string,
    /** Seconds the provider asked us to wait (Retry-After), when it said. */
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = "LlmError";
  }

  toJSON() {
    return { kind: this.kind, status: this.status, retryable: this.retryable, message: this.message };
  }
}

const PLAIN: Record<LlmErrorKind, string> = {
  auth: "The provider refused the API key (wrong, revoked, or for another provider)",
  quota: "The provider says the account's quota or credit is exhausted",
  rate_limit: "The provider is rate-limiting requests (too many, too fast)",
  model_not_found: "The provider does not know this model (check its name, or whether the key may use it)",
  bad_request: "The provider rejected the request",
  timeout: "The provider did not answer in time",
  unreachable: "The provider could not be reached (address, network or DNS)",
  server: "The provider had an internal error",
  cancelled: "Cancelled",
  malformed: "The provider's answer could not be understood",
  refused_address: "The provider's address is refused: it resolves to a private, loopback or link-local address",
};

export const plainMessage = (kind: LlmErrorKind) => PLAIN[kind];

/** A short, safe excerpt of what the provider said: useful ("model 'x' does not exist") and bounded. */
function detail(err: { message?: unknown }): string {
  const m = typeof err.message === "string" ? err.message.replace(/\s+/g, " ").trim() : "";
  return m ? `: ${m.slice(0, 300)}` : "";
}

function retryAfter(headers: Headers | undefined): number | null {
  const v = headers?.get("retry-after");
  const s = v ? Number(v) : Number.NaN;
  return Number.isFinite(s) && s >= 0 ? s : null;
}

function fromStatus(status: number, body: string, headers: Headers | undefined, message: string): LlmError {
  const text = `${body} ${message}`.toLowerCase();
  const make = (kind: LlmErrorKind, retryable: boolean) =>
    new LlmError(kind, status, retryable, `${PLAIN[kind]} (HTTP ${status})${detail({ message })}`, retryAfter(headers));
  if (status === 401 || status === 403) return make("auth", false);
  if (status === 404) return make("model_not_found", false);
  // OpenAI says 429 insufficient_quota for an empty wallet: retrying cannot help, unlike a real rate limit.
  if (status === 429 && /insufficient_quota|quota|credit|billing|balance/.test(text)) return make("quota", false);
  if (status === 429) return make("rate_limit", true);
  if (status === 402) return make("quota", false);
  if (status === 408) return make("timeout", true);
  if (status >= 500) return make("server", true);
  if (status === 400 && /model/.test(text) && /not (exist|found)|unknown|invalid model/.test(text)) return make("model_not_found", false);
  return make("bad_request", false);
}

/** Any error thrown by either SDK (or our own code around it) → LlmError. */
export function normaliseError(err: unknown, signal?: AbortSignal): LlmError {
  if (err instanceof LlmError) return err;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof LlmError ? reason : new LlmError("cancelled", null, false, PLAIN.cancelled);
  }
  for (const sdk of [OpenAI, Anthropic] as const) {
    if (err instanceof sdk.APIConnectionTimeoutError) return new LlmError("timeout", null, true, PLAIN.timeout);
    if (err instanceof sdk.APIUserAbortError) return new LlmError("cancelled", null, false, PLAIN.cancelled);
    if (err instanceof sdk.APIConnectionError) {
      // The SSRF guard's refusal arrives wrapped: SDK error → fetch's TypeError → our LlmError.
      let cause: unknown = err.cause;
      while (cause instanceof Error && !(cause instanceof LlmError)) cause = cause.cause;
      if (cause instanceof LlmError) return cause;
      return new LlmError("unreachable", null, true, `${PLAIN.unreachable}${detail(err.cause ?? {})}`);
    }
    if (err instanceof sdk.APIError && typeof err.status === "number") {
      return fromStatus(err.status, JSON.stringify(err.error ?? ""), err.headers, err.message);
    }
  }
  if (err instanceof SyntaxError) return new LlmError("malformed", null, false, `${PLAIN.malformed}${detail(err)}`);
  if (err instanceof Error && err.name === "AbortError") return new LlmError("cancelled", null, false, PLAIN.cancelled);
  // Mid-stream protocol errors (an SSE `error` event) carry no status: treat as the provider's fault.
  return new LlmError("server", null, true, `${PLAIN.server}${detail(err instanceof Error ? err : {})}`);
}

/** The stream closed before the provider said the answer was complete. */
export const endedEarly = () => new LlmError("server", null, true, "The provider's stream ended before the answer was complete");
