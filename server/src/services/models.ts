import type { Kysely } from "kysely";
import type { LlmConfig, LlmSecrets } from "../config/llm.js";
import type { Database } from "../db/schema.js";
import { AppError } from "../errors.js";
import { LlmError } from "../llm/errors.js";
import { checkBaseUrl } from "../llm/net.js";
import type { RecipeBook } from "../llm/offline.js";
import { PROVIDERS, PROVIDER_IDS, type ProviderId, createProvider, parseModelSpec } from "../llm/registry.js";
import type { ChatProvider } from "../llm/types.js";
import { decryptKey } from "./credentials.js";

export interface ModelDeps {
  db: Kysely<Database>;
  config: LlmConfig;
  secrets: LlmSecrets;
  recipes: RecipeBook;
}

export interface ResolvedModel {
  spec: string;
  provider: ProviderId;
  model: string;
  client: ChatProvider;
}

/**
 * "provider:model" → a ready adapter: the user's own key and base URL first, then the server's. A user's base
 * URL is re-checked here (its DNS may have changed since it was saved) and dialled through the SSRF guard.
 */
export async function resolveModel(deps: ModelDeps, userId: string, spec: string): Promise<ResolvedModel> {
  const parsed = parseModelSpec(spec);
  if (!parsed) throw new AppError("BAD_REQUEST", `Unknown model "${spec}": write provider:model, with provider one of ${PROVIDER_IDS.join(", ")}`);
  const { provider, model } = parsed;
  const info = PROVIDERS[provider];
  const own = await deps.db.selectFrom("llm_credentials").selectAll().where("user_id", "=", userId).where("provider", "=", provider).executeTakeFirst();
  const ownKey = own?.api_key_enc && deps.secrets.credentialsKey ? decryptKey(deps.secrets.credentialsKey, userId, provider, own.api_key_enc) : null;
  const apiKey = ownKey ?? (provider === "offline" ? null : (deps.secrets.providerKeys[provider] ?? null));
  if (info.needsKey && !apiKey) {
    throw new AppError("BAD_REQUEST", `No API key for ${info.label}: add one in Settings → Models, or ask the administrator to set it for the server`);
  }
  let baseUrl: string | null = null;
  let untrustedUrl = false;
  if (own?.base_url) {
    try {
      baseUrl = await checkBaseUrl(own.base_url, { allowedHosts: deps.config.allowedPrivateHosts });
    } catch (err) {
      throw new AppError("BAD_REQUEST", err instanceof LlmError ? err.message : "The saved base URL is not usable", { cause: err });
    }
    untrustedUrl = true;
  } else if (provider !== "offline") {
    baseUrl = deps.config.baseUrls[provider] ?? null;
  }
  if (provider === "vllm" && !baseUrl) throw new AppError("BAD_REQUEST", "vLLM needs a base URL (Settings → Models, or VLLM_BASE_URL)");
  const client = createProvider(
    { provider, apiKey, baseUrl, untrustedUrl },
    { recipes: deps.recipes, addressPolicy: { allowedHosts: deps.config.allowedPrivateHosts } },
  );
  return { spec: `${provider}:${model}`, provider, model, client };
}

/** The picker: every provider, whether it can be used by this user now, and its suggested models. */
export async function listModels(deps: ModelDeps, userId: string) {
  const own = await deps.db.selectFrom("llm_credentials").select(["provider", "api_key_enc", "base_url", "default_models"]).where("user_id", "=", userId).execute();
  return {
    defaultModel: await defaultModel(deps, userId),
    providers: PROVIDER_IDS.map((id) => {
      const mine = own.find((o) => o.provider === id);
      const info = PROVIDERS[id];
      const configured = !info.needsKey || !!mine?.api_key_enc || (id !== "offline" && !!deps.secrets.providerKeys[id]);
      const models = [...new Set([...((mine?.default_models as unknown as string[] | undefined) ?? []), ...info.models])];
      return { id, label: info.label, protocol: info.protocol, configured, models: models.map((m) => `${id}:${m}`) };
    }),
  };
}

/** The user's first own default model, else the server's (offline unless the administrator chose otherwise). */
export async function defaultModel(deps: ModelDeps, userId: string): Promise<string> {
  const rows = await deps.db.selectFrom("llm_credentials").select(["provider", "default_models"]).where("user_id", "=", userId).orderBy("updated_at", "desc").execute();
  for (const r of rows) {
    const first = (r.default_models as unknown as string[])[0];
    if (first) return first.includes(":") ? first : `${r.provider}:${first}`;
  }
  return deps.config.defaultModel;
}
