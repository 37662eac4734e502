import { z } from "zod";
import { ZEmailSchema } from "../services/auth.js";
import { listQuotas, setQuotaByEmail } from "../services/usage.js";
import { adminProcedure, router } from "../trpc.js";

/** Operators only (LAB_ADMIN_EMAILS): daily token quotas per user and model, checked before any provider call. */
export const adminRouter = router({
  quotas: adminProcedure.query(({ ctx }) => listQuotas(ctx.app.db)),

  /** tokensPerDay null removes the quota; email null sets the default for every user. */
  setQuota: adminProcedure
    .input(
      z.object({
        email: ZEmailSchema.nullable(),
        model: z.string().regex(/^[a-z]+:.+$/, "model must be provider:model").max(200),
        tokensPerDay: z.number().int().min(0).max(1e12).nullable(),
      }),
    )
    .mutation(({ ctx, input }) => setQuotaByEmail(ctx.app.db, input)),
});
