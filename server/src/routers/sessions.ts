import { tracked } from "@trpc/server";
import { z } from "zod";
import { createSession, deleteSession, getSessionWithCells, listSessions, renameSession } from "../services/sessions.js";
import { exportNotebook } from "../services/notebook.js";
import { notebookDatasets } from "../services/datasets-attach.js";
import { authedProcedure, router, sessionProcedure } from "../trpc.js";

const ZTitleSchema = z.string().trim().min(1, "Title must not be empty").max(200, "Title is at most 200 characters");
/** Cells are code a person or a model wrote; a megabyte is far past any real cell. */
const ZCodeSchema = z.string().max(1_000_000, "Cell code is at most 1,000,000 characters");

export const sessionsRouter = router({
  create: authedProcedure
    .input(z.object({ title: ZTitleSchema.optional() }))
    .mutation(({ ctx, input }) =>
      createSession(ctx.app.db, ctx.user.id, input.title ?? `Analysis ${new Date().toISOString().slice(0, 16).replace("T", " ")}`),
    ),

  list: authedProcedure
    .input(
      z
        .object({ query: z.string().max(200).optional(), model: z.string().max(200).optional(), limit: z.number().int().min(1).max(200).default(50) })
        .default({ limit: 50 }),
    )
    .query(({ ctx, input }) => listSessions(ctx.app.db, ctx.user.id, input)),

  get: sessionProcedure.query(({ ctx }) => getSessionWithCells(ctx.app.db, ctx.session, ctx.app.services.kernels)),

  rename: sessionProcedure
    .input(z.object({ title: ZTitleSchema }))
    .mutation(({ ctx, input }) => renameSession(ctx.app.db, ctx.session, input.title)),

  delete: sessionProcedure.mutation(({ ctx }) =>
    deleteSession(ctx.app.db, ctx.session, ctx.app.services.kernels, ctx.app.config.paths.workspaces),
  ),

  /** Queues a cell (new, or an existing one re-run with edited code) and returns at once; follow `events`. */
  run: sessionProcedure
    .input(z.object({ code: ZCodeSchema, cellId: z.uuid().optional(), replay: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      const { cell } = await ctx.app.services.executor.submit(ctx.session, { ...input, source: "user" });
      return cell;
    }),

  interrupt: sessionProcedure.mutation(({ ctx }) => ctx.app.services.executor.interrupt(ctx.session)),

  restart: sessionProcedure.mutation(({ ctx }) => ctx.app.services.executor.restart(ctx.session)),

  /** The session's event stream; `tracked` ids let a reconnecting client resume where it left off. */
  events: sessionProcedure
    .input(z.object({ lastEventId: z.string().regex(/^\d+$/).nullish() }))
    .subscription(async function* ({ ctx, input, signal }) {
      for await (const e of ctx.app.services.events.subscribe(ctx.session.id, input.lastEventId ?? null, signal)) {
        yield tracked(e.id, e.event);
      }
    }),

  exportNotebook: sessionProcedure.query(async ({ ctx }) =>
    exportNotebook(ctx.app.db, ctx.session, ctx.app.services.environment, await notebookDatasets(ctx.app.db, ctx.session.id)),
  ),
});
