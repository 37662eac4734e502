import { router } from "../trpc.js";
import { analysisRouter } from "./analysis.js";
import { credentialsRouter } from "./credentials.js";
import { templatesRouter } from "./templates.js";
import { usageRouter } from "./usage.js";

/** The LLM pipeline's procedures, mounted as `llm.*`. */
export const llmRouter = router({
  analysis: analysisRouter,
  credentials: credentialsRouter,
  templates: templatesRouter,
  usage: usageRouter,
});
