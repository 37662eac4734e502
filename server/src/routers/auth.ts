import { clearedSessionCookie, sessionCookie } from "../http/cookies.js";
import { type AuthResult, ZLoginInputSchema, ZRegisterInputSchema, login, logout, register } from "../services/auth.js";
import { type TrpcContext, publicProcedure, router } from "../trpc.js";

/**
 * The browser gets the session as an HttpOnly cookie; scripts and the CLI use the token from the body
 * as `Authorization: Bearer <token>`.
 */
function signedIn(ctx: TrpcContext, result: AuthResult) {
  ctx.resHeaders.setCookie(sessionCookie(result.token, result.expiresAt, ctx.app.config.auth.secureCookies));
  return { user: result.user, token: result.token, expiresAt: result.expiresAt.toISOString() };
}

export const authRouter = router({
  register: publicProcedure
    .input(ZRegisterInputSchema)
    .mutation(async ({ ctx, input }) => signedIn(ctx, await register(ctx.app.db, input, ctx.app.config.auth))),

  login: publicProcedure
    .input(ZLoginInputSchema)
    .mutation(async ({ ctx, input }) =>
      signedIn(ctx, await login(ctx.app.db, { ...input, ip: ctx.req.ip }, ctx.app.config.auth)),
    ),

  // Public so that a stale cookie can always be cleared.
  logout: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.authSessionToken) await logout(ctx.app.db, ctx.authSessionToken);
    ctx.resHeaders.setCookie(clearedSessionCookie(ctx.app.config.auth.secureCookies));
    return { ok: true as const };
  }),

  /** The signed-in user, or null. */
  me: publicProcedure.query(({ ctx }) => ctx.user),
});
