import { AnthropicProvider } from "./anthropic.js";
import { type AddressPolicy, guardedFetch } from "./net.js";
import { OfflineProvider, type RecipeBook } from "./offline.js";
import { OpenAiProvider } from "./openai.js";
import type { ChatProvider } from "./types.js";

/**
 * Every provider the lab knows: its protocol, where its API lives, and some well-known models (any model name
 * the provider accepts works; these only fill the picker). OpenAI-compatible providers share openai.ts.
 */
export const PROVIDERS = {
  offline: { protocol: "offline", label: "Built-in recipe engine (not an LLM)", baseUrl: null, needsKey: false, models: ["recipes"] },
  openai: { protocol: "openai", label: "OpenAI", baseUrl: null, needsKey: true, models: ["gpt-4.1-mini", "gpt-4.1", "gpt-4o-mini", "gpt-4o"] },
  anthropic: { protocol: "anthropic", label: "Anthropic", baseUrl: null, needsKey: true, models: ["claude-sonnet-4-20250514", "claude-3-5-haiku-latest"] },
  gemini: { protocol: "openai", label: "Google Gemini", baseUrl: "https://generativelanguage.googleapis.com/v1beta/openai/", needsKey: true, models: ["gemini-2.5-flash", "gemini-2.5-pro"] },
  deepseek: { protocol: "openai", label: "DeepSeek", baseUrl: "https://api.deepseek.com", needsKey: true, models: ["deepseek-chat", "deepseek-reasoner"] },
  qwen: { protocol: "openai", label: "Qwen (DashScope)", baseUrl: "https://dashscope.aliyuncs.com/compatible-mode/v1", needsKey: true, models: ["qwen-plus", "qwen-max", "qwen-turbo"] },
  siliconflow: { protocol: "openai", label: "SiliconFlow", baseUrl: "https://api.siliconflow.cn/v1", needsKey: true, models: ["Qwen/Qwen2.5-72B-Instruct", "deepseek-ai/DeepSeek-V3"] },
  moonshot: { protocol: "openai", label: "Moonshot (Kimi)", baseUrl: "https://api.moonshot.cn/v1", needsKey: true, models: ["moonshot-v1-8k", "kimi-k2-0711-preview"] },
  zhipu: { protocol: "openai", label: "Zhipu (GLM)", baseUrl: "https://open.bigmodel.cn/api/paas/v4", needsKey: true, models: ["glm-4-plus", "glm-4-flash"] },
  openrouter: { protocol: "openai", label: "OpenRouter", baseUrl: "https://openrouter.ai/api/v1", needsKey: true, models: ["openai/gpt-4.1-mini", "anthropic/claude-sonnet-4"] },
  vllm: { protocol: "openai", label: "vLLM (self-hosted)", baseUrl: null, needsKey: false, models: [] },
  ollama: { protocol: "openai", label: "Ollama (local)", baseUrl: "http://127.0.0.1:11434/v1", needsKey: false, models: ["qwen2.5:7b", "llama3.1:8b"] },
} as const;

export type ProviderId = keyof typeof PROVIDERS;
export const PROVIDER_IDS = Object.keys(PROVIDERS) as ProviderId[];
export const isProviderId = (s: string): s is ProviderId => s in PROVIDERS;

/** "provider:model" → parts; the model part may itself contain colons ("ollama:qwen2.5:7b"). */
export function parseModelSpec(spec: string): { provider: ProviderId; model: string } | null {
  const i = spec.indexOf(":");
  if (i <= 0) return null;
  const provider = spec.slice(0, i);
  const model = spec.slice(i + 1);
  return isProviderId(provider) && model.length > 0 ? { provider, model } : null;
}

export interface ProviderConnection {
  provider: ProviderId;
  apiKey: string | null;
  baseUrl: string | null;
  /** A user-supplied URL: every connection then goes through the SSRF guard. */
  untrustedUrl: boolean;
}

/** Builds the adapter for one call; clients are cheap, so none is cached with a key inside. */
export function createProvider(conn: ProviderConnection, deps: { recipes: RecipeBook; addressPolicy: AddressPolicy }): ChatProvider {
  const info = PROVIDERS[conn.provider];
  const fetch = conn.untrustedUrl ? guardedFetch(deps.addressPolicy) : undefined;
  // Local servers (vLLM, Ollama) accept any key, but the SDKs insist on one.
  const apiKey = conn.apiKey ?? "not-needed";
  const baseURL = conn.baseUrl ?? info.baseUrl ?? undefined;
  switch (info.protocol) {
    case "offline":
      return new OfflineProvider(deps.recipes);
    case "openai":
      return new OpenAiProvider({ apiKey, baseURL, fetch });
    case "anthropic":
      return new AnthropicProvider({ apiKey, baseURL, fetch });
  }
}
