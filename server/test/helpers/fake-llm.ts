import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";

/**
 * A local provider speaking the real wire protocols with SSE streaming, for the real SDKs to talk to:
 * OpenAI chat completions (/v1/chat/completions), Gemini's OpenAI-compatible endpoint
 * (/v1beta/openai/chat/completions, with its own chunk shape: usage on the last content chunk, no separate
 * usage chunk) and Anthropic messages (/v1/messages). Answers are scripted per model, one per request.
 */
export interface Scripted {
  /** The answer's text, streamed in pieces of `chunkChars`. */
  text?: string;
  chunkChars?: number;
  /** Milliseconds between pieces. */
  delayMs?: number;
  /** An HTTP error instead of an answer (body in the protocol's error shape). */
  status?: number;
  errorType?: string;
  errorMessage?: string;
  retryAfter?: number;
  /** Stream this many pieces, then hold the connection open without a word (timeouts, cancel). */
  stallAfter?: number;
  /** A stream whose data lines are not JSON. */
  malformed?: boolean;
  usage?: { input: number; output: number };
}

export interface Received {
  protocol: "openai" | "gemini" | "anthropic";
  model: string;
  auth: string | null;
  body: Record<string, unknown>;
  /** performance.now() when each piece was written (bench). */
  sentAt: number[];
  closedByClient: boolean;
}

export class FakeLlm {
  readonly received: Received[] = [];
  private scripts = new Map<string, Scripted[]>();
  private server: http.Server;
  url = "";
  /** The one key it accepts (any other gets the protocol's 401). */
  constructor(readonly apiKey = "sk-fake-test-key") {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Queues answers for a model, one per request, in order. */
  script(model: string, ...answers: Scripted[]): void {
    this.scripts.set(model, [...(this.scripts.get(model) ?? []), ...answers]);
  }

  remaining(model: string): number {
    return this.scripts.get(model)?.length ?? 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
    const path = (req.url ?? "").split("?")[0];
    const protocol = path === "/v1/messages" ? "anthropic" : path === "/v1beta/openai/chat/completions" ? "gemini" : path === "/v1/chat/completions" ? "openai" : null;
    if (!protocol || req.method !== "POST") return void res.writeHead(404).end();
    // Anthropic's API takes x-api-key; this SDK version sends the key as a Bearer token. Both are accepted.
    const xKey = req.headers["x-api-key"];
    const auth = protocol === "anthropic" && typeof xKey === "string" ? `Bearer ${xKey}` : (req.headers.authorization ?? null);
    const model = String(body.model);
    const rec: Received = { protocol, model, auth, body, sentAt: [], closedByClient: false };
    this.received.push(rec);
    res.on("close", () => (rec.closedByClient = !res.writableFinished));

    const keyOk = auth === `Bearer ${this.apiKey}`;
    if (!keyOk) return this.error(res, protocol, { status: 401, errorType: protocol === "anthropic" ? "authentication_error" : "invalid_api_key", errorMessage: "Incorrect API key provided" });
    const s = this.scripts.get(model)?.shift();
    if (!s) return this.error(res, protocol, { status: 404, errorType: "model_not_found", errorMessage: `The model \`${model}\` does not exist` });
    if (s.status) return this.error(res, protocol, s);

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const text = s.text ?? "";
    const size = s.chunkChars ?? 4;
    const pieces = text.match(new RegExp(`[\\s\\S]{1,${size}}`, "g")) ?? [];
    const prompt = JSON.stringify(body.messages ?? "").length + JSON.stringify(body.system ?? "").length;
    const usage = s.usage ?? { input: Math.ceil(prompt / 4), output: pieces.length };
    const send = (event: string | null, data: unknown) => res.write(`${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
    const ids = { id: `fake-${this.received.length}`, created: Math.floor(Date.now() / 1000) };

    if (protocol === "anthropic") {
      send("message_start", { type: "message_start", message: { id: ids.id, type: "message", role: "assistant", content: [], model, stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.input, output_tokens: 1 } } });
      send("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
      send("ping", { type: "ping" });
    } else if (protocol === "openai") {
      send(null, { ...ids, object: "chat.completion.chunk", model, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
    }
    for (const [i, piece] of pieces.entries()) {
      if (s.stallAfter !== undefined && i >= s.stallAfter) return; // hold the connection: the client must give up
      if (s.delayMs) await new Promise((r) => setTimeout(r, s.delayMs));
      if (res.destroyed) return;
      if (s.malformed) res.write("data: {this is not json\n\n");
      else if (protocol === "anthropic") send("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: piece } });
      else {
        const last = protocol === "gemini" && i === pieces.length - 1;
        send(null, {
          ...ids, object: "chat.completion.chunk", model,
          choices: [{ index: 0, delta: { role: "assistant", content: piece }, ...(last ? { finish_reason: "stop" } : protocol === "openai" ? { finish_reason: null } : {}) }],
          ...(last ? { usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } } : {}),
        });
      }
      rec.sentAt.push(performance.now());
    }
    if (s.stallAfter !== undefined) return;
    if (protocol === "anthropic") {
      send("content_block_stop", { type: "content_block_stop", index: 0 });
      send("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: usage.output } });
      send("message_stop", { type: "message_stop" });
    } else {
      if (protocol === "openai") {
        send(null, { ...ids, object: "chat.completion.chunk", model, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
        send(null, { ...ids, object: "chat.completion.chunk", model, choices: [], usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } });
      }
      send(null, "[DONE]");
    }
    res.end();
  }

  private error(res: http.ServerResponse, protocol: Received["protocol"], s: Scripted): void {
    const status = s.status ?? 500;
    const message = s.errorMessage ?? `scripted ${status}`;
    const body =
      protocol === "anthropic"
        ? { type: "error", error: { type: s.errorType ?? "api_error", message } }
        : protocol === "gemini"
          ? { error: { code: status, message, status: s.errorType ?? "INTERNAL" } }
          : { error: { message, type: s.errorType ?? "server_error", param: null, code: s.errorType ?? null } };
    res.writeHead(status, { "content-type": "application/json", ...(s.retryAfter !== undefined ? { "retry-after": String(s.retryAfter) } : {}) });
    res.end(JSON.stringify(body));
  }
}
