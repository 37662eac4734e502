import { getPreferences, setPreferences, ZPreferencesSchema } from "../services/preferences.js";
import { authedProcedure, router } from "../trpc.js";

/** The caller's analysis style: language of interpretations and plot theme, used by every analysis task. */
export const preferencesRouter = router({
  get: authedProcedure.query(({ ctx }) => getPreferences(ctx.app.db, ctx.user.id)),
  set: authedProcedure.input(ZPreferencesSchema).mutation(({ ctx, input }) => setPreferences(ctx.app.db, ctx.user.id, input)),
});
