import { performance } from "node:perf_hooks";
import { LlmError, normaliseError } from "./errors.js";
import type { ChatProvider, ChatRequest } from "./types.js";

export interface CallPolicy {
  /** Whole answer, first byte to last. */
  timeoutMs: number;
  /** Longest silence between two chunks of a stream. */
  idleMs: number;
  /** Extra attempts on retryable failures (429, 5xx, unreachable, timeout) before any text arrived. */
  retries: number;
  backoffMs: number;
}

export interface CallResult {
  text: string;
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
  /** Attempts made at the provider (1 unless it was retried). */
  attempts: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/**
 * One streamed answer under the policy: `onText` sees each piece as it arrives. A failure after text was
 * shown is not retried (the user would see the answer twice); before that, backoff doubles from `backoffMs`,
 * or waits what Retry-After said (capped at 30 s).
 */
export async function streamAnswer(
  provider: ChatProvider,
  req: Omit<ChatRequest, "signal">,
  policy: CallPolicy,
  signal: AbortSignal,
  onText: (text: string) => void,
): Promise<CallResult> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    let text = "";
    try {
      const usage = await once(provider, req, policy, signal, (t) => {
        text += t;
        onText(t);
      });
      if (!text.trim()) throw new LlmError("malformed", null, false, "The model's answer was empty");
      // Providers that report no usage (some local servers): a rough estimate, 4 characters a token.
      const estimate = (s: string) => Math.ceil(s.length / 4);
      return {
        text,
        tokensIn: usage?.input ?? estimate(req.messages.map((m) => m.content).join("")),
        tokensOut: usage?.output ?? estimate(text),
        latencyMs: Math.round(performance.now() - started),
        attempts: attempt,
      };
    } catch (err) {
      const e = normaliseError(err, signal);
      if (!e.retryable || text !== "" || attempt > policy.retries || signal.aborted) throw e;
      const wait = e.retryAfterS !== null ? Math.min(e.retryAfterS * 1000, 30_000) : policy.backoffMs * 2 ** (attempt - 1);
      await sleep(wait, signal).catch(() => {
        throw normaliseError(err, signal);
      });
    }
  }
}

async function once(
  provider: ChatProvider,
  req: Omit<ChatRequest, "signal">,
  policy: CallPolicy,
  outer: AbortSignal,
  onText: (t: string) => void,
): Promise<{ input: number; output: number } | null> {
  const ctl = new AbortController();
  const abort = () => ctl.abort(outer.reason);
  outer.addEventListener("abort", abort, { once: true });
  const timeout = (what: string) => () => ctl.abort(new LlmError("timeout", null, true, `The provider did not answer in time (${what})`));
  const total = setTimeout(timeout(`no complete answer within ${policy.timeoutMs / 1000} s`), policy.timeoutMs);
  let idle = setTimeout(timeout(`silent for ${policy.idleMs / 1000} s`), policy.idleMs);
  let usage: { input: number; output: number } | null = null;
  try {
    for await (const chunk of provider.stream({ ...req, signal: ctl.signal })) {
      clearTimeout(idle);
      idle = setTimeout(timeout(`silent for ${policy.idleMs / 1000} s`), policy.idleMs);
      if (chunk.type === "text") onText(chunk.text);
      else usage = { input: chunk.input, output: chunk.output };
    }
    return usage;
  } catch (err) {
    throw normaliseError(err, ctl.signal);
  } finally {
    clearTimeout(total);
    clearTimeout(idle);
    outer.removeEventListener("abort", abort);
  }
}
