import Anthropic from "@anthropic-ai/sdk";
import { endedEarly, normaliseError } from "./errors.js";
import type { ChatProvider, ChatRequest, StreamChunk } from "./types.js";

export interface AnthropicSettings {
  apiKey: string;
  baseURL?: string;
  fetch?: typeof fetch;
}

/** Anthropic messages with SSE streaming, through the official SDK (system prompt apart, as the API wants). */
export class AnthropicProvider implements ChatProvider {
  readonly protocol = "anthropic";
  private readonly client: Anthropic;

  constructor(settings: AnthropicSettings) {
    this.client = new Anthropic({ apiKey: settings.apiKey, baseURL: settings.baseURL, fetch: settings.fetch, maxRetries: 0 });
  }

  async *stream(req: ChatRequest): AsyncIterable<StreamChunk> {
    const system = req.messages.filter((m) => m.role === "system").map((m) => m.content).join("\n\n");
    const messages = req.messages
      .filter((m) => m.role !== "system")
      .map((m) => ({ role: m.role === "assistant" ? ("assistant" as const) : ("user" as const), content: m.content }));
    let input = 0;
    let output = 0;
    let stopped = false;
    try {
      const stream = await this.client.messages.create(
        { model: req.model, system: system || undefined, messages, max_tokens: req.maxTokens, stream: true },
        { signal: req.signal },
      );
      // https://docs.anthropic.com/en/api/messages-streaming: input tokens on message_start, output on message_delta.
      for await (const event of stream) {
        switch (event.type) {
          case "message_start":
            input = event.message.usage.input_tokens;
            output = event.message.usage.output_tokens;
            break;
          case "content_block_delta":
            if (event.delta.type === "text_delta") yield { type: "text", text: event.delta.text };
            break;
          case "message_delta":
            output = event.usage.output_tokens;
            break;
          case "message_stop":
            stopped = true;
            break;
          default:
            break; // content_block_start/stop, message_stop: nothing to forward
        }
      }
    } catch (err) {
      throw normaliseError(err, req.signal);
    }
    // An aborted stream can end quietly: without message_stop the answer is not whole.
    if (!stopped) throw req.signal.aborted ? normaliseError(new Error("aborted"), req.signal) : endedEarly();
    yield { type: "usage", input, output };
  }
}
