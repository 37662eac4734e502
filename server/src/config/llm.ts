import { z } from "zod";

/**
 * The LLM pipeline's settings and provider keys (read by config/index.ts, the only reader of process.env).
 * Provider keys and the credentials key are secrets: they live in Secrets, never in Config.
 */
const int = (dflt: number, min = 1) => z.coerce.number().int().min(min).default(dflt);

/** Server-wide provider keys and base URLs, under the names each provider's own docs use. */
export const PROVIDER_ENV = {
  openai: { key: "OPENAI_API_KEY", url: "OPENAI_BASE_URL" },
  anthropic: { key: "ANTHROPIC_API_KEY", url: "ANTHROPIC_BASE_URL" },
  gemini: { key: "GEMINI_API_KEY", url: "GEMINI_BASE_URL" },
  deepseek: { key: "DEEPSEEK_API_KEY", url: "DEEPSEEK_BASE_URL" },
  qwen: { key: "DASHSCOPE_API_KEY", url: "DASHSCOPE_BASE_URL" },
  siliconflow: { key: "SILICONFLOW_API_KEY", url: "SILICONFLOW_BASE_URL" },
  moonshot: { key: "MOONSHOT_API_KEY", url: "MOONSHOT_BASE_URL" },
  zhipu: { key: "ZHIPU_API_KEY", url: "ZHIPU_BASE_URL" },
  openrouter: { key: "OPENROUTER_API_KEY", url: "OPENROUTER_BASE_URL" },
  vllm: { key: "VLLM_API_KEY", url: "VLLM_BASE_URL" },
  ollama: { key: "OLLAMA_API_KEY", url: "OLLAMA_BASE_URL" },
} as const;

const ZKeySchema = z
  .string()
  .transform((s) => (/^[0-9a-f]{64}$/i.test(s) ? Buffer.from(s, "hex") : Buffer.from(s, "base64")))
  .refine((b) => b.length === 32, "must be 32 bytes, as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)");

export const ZLlmEnvSchema = z.object({
  CREDENTIALS_SECRET_KEY: ZKeySchema.optional(),
  LAB_LLM_DEFAULT_MODEL: z.string().regex(/^[a-z]+:.+$/, "must be provider:model").default("offline:recipes"),
  LAB_LLM_REPAIR_RETRIES: int(2, 0),
  LAB_LLM_TIMEOUT_SECONDS: int(180),
  LAB_LLM_IDLE_SECONDS: int(60),
  LAB_LLM_PROVIDER_RETRIES: int(3, 0),
  LAB_LLM_BACKOFF_MS: int(500),
  LAB_LLM_MAX_OUTPUT_TOKENS: int(4096),
  LAB_LLM_CONTEXT_TOKENS: int(6000),
  LAB_LLM_TOKENS_PER_DAY: int(0, 0),
  LAB_LLM_REQUESTS_PER_MINUTE: int(20, 0),
  LAB_LLM_ALLOWED_PRIVATE_HOSTS: z.string().default(""),
  ...Object.fromEntries(Object.values(PROVIDER_ENV).flatMap((e) => [[e.key, z.string().min(1).optional()], [e.url, z.string().url().optional()]])),
});

export interface LlmConfig {
  defaultModel: string;
  repairRetries: number;
  call: { timeoutMs: number; idleMs: number; retries: number; backoffMs: number };
  maxOutputTokens: number;
  contextTokens: number;
  /** 0 = no default quota. */
  tokensPerDay: number;
  /** 0 = no limit. */
  requestsPerMinute: number;
  allowedPrivateHosts: string[];
  /** Admin-set base URLs (trusted: not SSRF-checked). */
  baseUrls: Partial<Record<keyof typeof PROVIDER_ENV, string>>;
  promptsDir: string;
}

export interface LlmSecrets {
  credentialsKey: Buffer | null;
  providerKeys: Partial<Record<keyof typeof PROVIDER_ENV, string>>;
}

export function loadLlmConfig(env: NodeJS.ProcessEnv, promptsDir: string): { config: LlmConfig; secrets: LlmSecrets } {
  const parsed = ZLlmEnvSchema.safeParse(env);
  if (!parsed.success) {
    // Never echo the value: it may be a key.
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const pick = (field: "key" | "url") =>
    Object.fromEntries(
      Object.entries(PROVIDER_ENV)
        .map(([id, names]) => [id, (e as Record<string, unknown>)[names[field]]] as const)
        .filter((x): x is readonly [string, string] => typeof x[1] === "string"),
    );
  return {
    config: {
      defaultModel: e.LAB_LLM_DEFAULT_MODEL,
      repairRetries: e.LAB_LLM_REPAIR_RETRIES,
      call: { timeoutMs: e.LAB_LLM_TIMEOUT_SECONDS * 1000, idleMs: e.LAB_LLM_IDLE_SECONDS * 1000, retries: e.LAB_LLM_PROVIDER_RETRIES, backoffMs: e.LAB_LLM_BACKOFF_MS },
      maxOutputTokens: e.LAB_LLM_MAX_OUTPUT_TOKENS,
      contextTokens: e.LAB_LLM_CONTEXT_TOKENS,
      tokensPerDay: e.LAB_LLM_TOKENS_PER_DAY,
      requestsPerMinute: e.LAB_LLM_REQUESTS_PER_MINUTE,
      allowedPrivateHosts: e.LAB_LLM_ALLOWED_PRIVATE_HOSTS.split(",").map((s) => s.trim()).filter(Boolean),
      baseUrls: pick("url"),
      promptsDir,
    },
    secrets: { credentialsKey: e.CREDENTIALS_SECRET_KEY ?? null, providerKeys: pick("key") },
  };
}
