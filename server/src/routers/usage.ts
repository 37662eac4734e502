import { z } from "zod";
import { listUsage } from "../services/usage.js";
import { authedProcedure, router } from "../trpc.js";

export const usageRouter = router({
  /** The caller's tokens, requests and estimated cost per day and model (costs are estimates). */
  mine: authedProcedure
    .input(z.object({ days: z.number().int().min(1).max(366).default(30) }).default({ days: 30 }))
    .query(({ ctx, input }) => listUsage(ctx.app.db, ctx.user.id, input.days)),
});
