import { z } from "zod";
import { PROVIDER_IDS } from "../llm/registry.js";
import { deleteCredential, listCredentials, setCredential } from "../services/credentials.js";
import { authedProcedure, router } from "../trpc.js";

const ZProviderSchema = z.enum(PROVIDER_IDS as [string, ...string[]]).transform((p) => p as (typeof PROVIDER_IDS)[number]);

/** Write-only keys: `set` takes one, nothing ever returns one (only whether it is set). */
export const credentialsRouter = router({
  list: authedProcedure.query(({ ctx }) => listCredentials(ctx.app.db, ctx.user.id)),

  set: authedProcedure
    .input(
      z.object({
        provider: ZProviderSchema,
        apiKey: z.string().trim().min(1).max(500).nullish(),
        baseUrl: z.string().trim().max(500).nullish(),
        defaultModels: z.array(z.string().min(1).max(200)).max(20).optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      setCredential(
        ctx.app.db,
        { secret: ctx.app.secrets.llm.credentialsKey, policy: { allowedHosts: ctx.app.config.llm.allowedPrivateHosts } },
        ctx.user.id,
        { ...input, baseUrl: input.baseUrl === "" ? null : input.baseUrl },
      ),
    ),

  delete: authedProcedure.input(z.object({ provider: ZProviderSchema })).mutation(({ ctx, input }) => deleteCredential(ctx.app.db, ctx.user.id, input.provider)),
});
