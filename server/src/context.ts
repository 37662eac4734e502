import type { Kysely } from "kysely";
import type { Config, Secrets } from "./config/index.js";
import type { Database } from "./db/schema.js";
import type { GatewayClient } from "./kernel/gateway.js";
import type { EventBus } from "./services/events.js";
import type { Executor } from "./services/execution.js";
import type { KernelManager } from "./services/kernels.js";
import type { KernelEnvironment } from "./services/notebook.js";
import type { DatasetService } from "./services/datasets.js";
import type { AnalysisService } from "./services/analysis.js";
import type { PromptRegistry } from "./services/prompts.js";

/**
 * Everything a request or a CLI command needs, built once by createAppContext (app.ts).
 * Tests build it with overrides instead of branching on "is test" in production code.
 */
export interface AppContext {
  config: Config;
  secrets: Secrets;
  db: Kysely<Database>;
  services: AppServices;
  close(): Promise<void>;
}

export interface AppServices {
  gateway: GatewayClient;
  events: EventBus;
  kernels: KernelManager;
  executor: Executor;
  environment: KernelEnvironment;
  /** Datasets (issue 3): upload, preview, profile, attach; artifacts are plain files, no service. */
  datasets: DatasetService;
  /** The LLM pipeline (issue 4): prompt templates and recipes, and analysis tasks. */
  prompts: PromptRegistry;
  analysis: AnalysisService;
}
