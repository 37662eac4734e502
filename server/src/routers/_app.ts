import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { router } from "../trpc.js";
import { adminRouter } from "./admin.js";
import { authRouter } from "./auth.js";
import { artifactsRouter, datasetsRouter } from "./datasets.js";
import { llmRouter } from "./llm.js";
import { preferencesRouter } from "./preferences.js";
import { sessionsRouter } from "./sessions.js";

export const appRouter = router({
  auth: authRouter,
  sessions: sessionsRouter,
  datasets: datasetsRouter,
  artifacts: artifactsRouter,
  llm: llmRouter,
  admin: adminRouter,
  preferences: preferencesRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
