import { z } from "zod";
import { attachDataset, detachDataset, listAttached } from "../services/datasets-attach.js";
import { listArtifacts } from "../services/datasets-artifacts.js";
import { datasetContext } from "../services/datasets-context.js";
import { toDatasetDto } from "../services/datasets.js";
import { authedProcedure, datasetProcedure, router, sessionDatasetProcedure, sessionProcedure } from "../trpc.js";

// Uploads are not here: they stream over POST /api/datasets (http/uploads.ts), never through a JSON body.
const ZSheetSchema = z.string().max(300).optional();

export const datasetsRouter = router({
  list: authedProcedure.query(({ ctx }) => ctx.app.services.datasets.list(ctx.user.id)),

  get: datasetProcedure.query(({ ctx }) => toDatasetDto(ctx.dataset)),

  /** The first rows (at most 100) of the dataset, or of one sheet of a workbook. */
  preview: datasetProcedure
    .input(z.object({ sheet: ZSheetSchema, offset: z.number().int().min(0).max(1_000_000_000).optional(), limit: z.number().int().min(1).max(100).optional() }))
    .query(({ ctx, input }) => ctx.app.services.datasets.preview(ctx.dataset, { table: input.sheet, offset: input.offset, limit: input.limit })),

  /** Row count and per-column statistics; a full scan the first time, kept afterwards. */
  profile: datasetProcedure
    .input(z.object({ sheet: ZSheetSchema }))
    .query(({ ctx, input }) => ctx.app.services.datasets.profile(ctx.dataset, input.sheet)),

  rename: datasetProcedure
    .input(z.object({ name: z.string().trim().min(1, "Name must not be empty").max(200) }))
    .mutation(({ ctx, input }) => ctx.app.services.datasets.rename(ctx.dataset, input.name)),

  delete: datasetProcedure.mutation(({ ctx }) => ctx.app.services.datasets.delete(ctx.dataset)),

  /** Makes the dataset readable at /data/<file> in the session's kernel; profiles it first, for prompts. */
  attach: sessionDatasetProcedure.mutation(async ({ ctx }) => {
    await ctx.app.services.datasets.profileAll(ctx.dataset);
    return attachDataset(ctx.app.db, ctx.app.config, ctx.session, ctx.dataset);
  }),

  detach: sessionDatasetProcedure.mutation(({ ctx }) => detachDataset(ctx.app.db, ctx.app.config, ctx.session, ctx.dataset.id)),

  attached: sessionProcedure.query(({ ctx }) => listAttached(ctx.app.db, ctx.session.id)),

  /** What the prompt builder sees: schemas, a few rows and profiles of the session's datasets, as text. */
  context: sessionProcedure.query(({ ctx }) => datasetContext(ctx.app.db, ctx.session.id)),
});

export const artifactsRouter = router({
  /** Files the session's kernels wrote in /workspace; download each from GET /api/sessions/:id/artifacts/<path>. */
  list: sessionProcedure.query(({ ctx }) => listArtifacts(ctx.app.config.paths.workspaces, ctx.session)),
});
