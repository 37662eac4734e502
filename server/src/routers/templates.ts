import { z } from "zod";
import { deleteTemplate, listTemplates, saveTemplate, templateVersions } from "../services/templates.js";
import { authedProcedure, router, templateProcedure } from "../trpc.js";

const ZNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);

/** Users' own prompt templates (YAML, same schema as prompts/*.yaml); every save is a new version. */
export const templatesRouter = router({
  list: authedProcedure.query(({ ctx }) => listTemplates(ctx.app.db, ctx.user.id, ctx.app.services.prompts)),
  versions: authedProcedure.input(z.object({ name: ZNameSchema })).query(({ ctx, input }) => templateVersions(ctx.app.db, ctx.user.id, input.name)),
  get: templateProcedure.query(({ ctx }) => ({ id: ctx.template.id, name: ctx.template.name, version: ctx.template.version, body: ctx.template.body })),
  save: authedProcedure.input(z.object({ body: z.string().min(1).max(100_000) })).mutation(({ ctx, input }) => saveTemplate(ctx.app.db, ctx.user.id, input.body)),
  delete: authedProcedure.input(z.object({ name: ZNameSchema })).mutation(({ ctx, input }) => deleteTemplate(ctx.app.db, ctx.user.id, input.name)),
});
