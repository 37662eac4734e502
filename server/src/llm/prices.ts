/**
 * ESTIMATES ONLY: list prices in USD per million tokens (input, output) as published by the providers in 2025,
 * matched by the longest model-name prefix. Providers change prices, bill cached tokens differently and
 * convert currencies; the lab shows these numbers as "estimated cost", never as a bill.
 */
const PRICES: Record<string, [number, number]> = {
  "openai:gpt-4o-mini": [0.15, 0.6],
  "openai:gpt-4o": [2.5, 10],
  "openai:gpt-4.1-nano": [0.1, 0.4],
  "openai:gpt-4.1-mini": [0.4, 1.6],
  "openai:gpt-4.1": [2, 8],
  "openai:o4-mini": [1.1, 4.4],
  "openai:o3": [2, 8],
  "anthropic:claude-3-5-haiku": [0.8, 4],
  "anthropic:claude-3-5-sonnet": [3, 15],
  "anthropic:claude-3-7-sonnet": [3, 15],
  "anthropic:claude-sonnet-4": [3, 15],
  "anthropic:claude-opus-4": [15, 75],
  "gemini:gemini-2.0-flash": [0.1, 0.4],
  "gemini:gemini-2.5-flash": [0.3, 2.5],
  "gemini:gemini-2.5-pro": [1.25, 10],
  "deepseek:deepseek-chat": [0.27, 1.1],
  "deepseek:deepseek-reasoner": [0.55, 2.19],
  "qwen:qwen-turbo": [0.05, 0.2],
  "qwen:qwen-plus": [0.4, 1.2],
  "qwen:qwen-max": [1.6, 6.4],
  "offline:": [0, 0],
  // Self-hosted: no per-token price.
  "vllm:": [0, 0],
  "ollama:": [0, 0],
};

/** Estimated USD for one call, or null when the model has no known price. */
export function estimateCost(model: string, tokensIn: number, tokensOut: number): number | null {
  const key = Object.keys(PRICES)
    .filter((k) => model.startsWith(k))
    .sort((a, b) => b.length - a.length)[0];
  if (key === undefined) return null;
  const [pin, pout] = PRICES[key]!;
  return (tokensIn * pin + tokensOut * pout) / 1_000_000;
}
