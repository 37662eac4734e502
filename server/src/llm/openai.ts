import OpenAI from "openai";
import { endedEarly, normaliseError } from "./errors.js";
import type { ChatProvider, ChatRequest, StreamChunk } from "./types.js";

export interface OpenAiSettings {
  apiKey: string;
  /** OpenAI itself when unset; every OpenAI-compatible API (DeepSeek, Qwen, vLLM, Ollama, Gemini…) by its URL. */
  baseURL?: string;
  fetch?: typeof fetch;
}

/**
 * OpenAI chat completions with SSE streaming, through the official SDK. Retries are ours (call.ts), so the
 * SDK's are off: one policy for every provider, and a retry never repeats tokens the user already saw.
 */
export class OpenAiProvider implements ChatProvider {
  readonly protocol = "openai";
  private readonly client: OpenAI;

  constructor(settings: OpenAiSettings) {
    this.client = new OpenAI({ apiKey: settings.apiKey, baseURL: settings.baseURL, fetch: settings.fetch, maxRetries: 0 });
  }

  async *stream(req: ChatRequest): AsyncIterable<StreamChunk> {
    let usage: { input: number; output: number } | null = null;
    let finished = false;
    try {
      const stream = await this.client.chat.completions.create(
        {
          model: req.model,
          messages: req.messages,
          max_tokens: req.maxTokens,
          temperature: req.temperature,
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: req.signal },
      );
      for await (const chunk of stream) {
        if (chunk.choices[0]?.finish_reason) finished = true;
        const text = chunk.choices[0]?.delta?.content;
        if (text) yield { type: "text", text };
        // Sent on the last chunk (include_usage); some compatible servers send running totals on every chunk.
        if (chunk.usage) usage = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens };
      }
    } catch (err) {
      throw normaliseError(err, req.signal);
    }
    // An aborted stream can end quietly: without a finish reason the answer is not whole.
    if (req.signal.aborted) throw normaliseError(new Error("aborted"), req.signal);
    if (!finished) throw endedEarly();
    if (usage) yield { type: "usage", ...usage };
  }
}
