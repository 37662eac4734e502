import { z } from "zod";
import type { AppContext } from "../context.js";
import { listModels } from "../services/models.js";
import { authedProcedure, router, sessionProcedure, taskProcedure } from "../trpc.js";

const ZModelSpecSchema = z.string().regex(/^[a-z]+:.+$/, "a model is provider:model, e.g. openai:gpt-4.1-mini or offline:recipes").max(200);

export const ZStartTaskSchema = z.object({
  request: z.string().trim().min(1, "Write what you want analysed").max(10_000),
  models: z.array(ZModelSpecSchema).max(4, "At most 4 models at once").optional(),
  mode: z.enum(["analysis", "strategy"]).optional(),
  template: z.string().max(100).optional(),
  templateId: z.uuid().optional(),
  retries: z.number().int().min(0).max(5).optional(),
});

const modelDeps = (app: AppContext) => ({ db: app.db, config: app.config.llm, secrets: app.secrets.llm, recipes: app.services.prompts.recipes });

export const analysisRouter = router({
  /** Providers, whether each is usable by the caller now, and suggested models. */
  models: authedProcedure.query(({ ctx }) => listModels(modelDeps(ctx.app), ctx.user.id)),

  /** Starts a task and returns at once; tokens, code, cells and the interpretation arrive on `sessions.events`. */
  start: sessionProcedure.input(ZStartTaskSchema).mutation(({ ctx, input }) => ctx.app.services.analysis.start(ctx.session, input)),

  list: sessionProcedure.query(({ ctx }) => ctx.app.services.analysis.list(ctx.session.id)),

  get: taskProcedure.query(({ ctx }) => ctx.app.services.analysis.get(ctx.taskId)),

  cancel: taskProcedure.mutation(async ({ ctx }) => {
    await ctx.app.services.analysis.cancel(ctx.taskId);
    return ctx.app.services.analysis.get(ctx.taskId);
  }),

  /** Runs one model's final code in the session itself. */
  adopt: taskProcedure
    .input(z.object({ runId: z.uuid() }))
    .mutation(({ ctx, input }) => ctx.app.services.analysis.adopt(ctx.session, ctx.taskId, input.runId)),
});
