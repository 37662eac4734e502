import { TRPCError, type TRPC_ERROR_CODE_KEY, initTRPC } from "@trpc/server";
import { z } from "zod";
import type { AppContext } from "./context.js";
import type { CellRow, DatasetRow, SessionRow } from "./db/schema.js";
import { AppError, type AppErrorCode, assertNever, notFound } from "./errors.js";
import type { UserDto } from "./services/auth.js";
import { findOwnedDataset } from "./services/datasets.js";
import { findOwnedSession } from "./services/sessions.js";

/** Per request. Built by http/server.ts (or directly by tests through createCallerFactory). */
export interface TrpcContext {
  app: AppContext;
  user: UserDto | null;
  /** The validated session token of this request (cookie or Bearer), so logout can end it. */
  authSessionToken: string | null;
  req: { ip: string; origin: string | null; userAgent: string | null };
  resHeaders: { setCookie(cookie: string): void };
}

const INTERNAL_MESSAGE = "Internal server error";

const t = initTRPC.context<TrpcContext>().create({
  // Stacks stay in the server log, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof z.ZodError ? error.cause : null;
    const message =
      error.code === "INTERNAL_SERVER_ERROR"
        ? INTERNAL_MESSAGE
        : zodError
          ? zodError.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ")
          : shape.message;
    return { ...shape, message, data: { ...shape.data, zodError: zodError ? z.flattenError(zodError) : null } };
  },
});

function trpcCode(code: AppErrorCode): TRPC_ERROR_CODE_KEY {
  switch (code) {
    case "BAD_REQUEST":
    case "UNAUTHORIZED":
    case "FORBIDDEN":
    case "NOT_FOUND":
    case "CONFLICT":
    case "TOO_MANY_REQUESTS":
    case "PAYLOAD_TOO_LARGE":
    case "TIMEOUT":
      return code;
    case "UNAVAILABLE":
      return "SERVICE_UNAVAILABLE";
    case "INTERNAL":
      return "INTERNAL_SERVER_ERROR";
    default:
      return assertNever(code, "AppError code");
  }
}

/** The one place errors are translated: AppError → tRPC code, anything unexpected → logged and made opaque. */
const errorTranslation = t.middleware(async ({ next, path, type }) => {
  const result = await next();
  if (result.ok) return result;
  const { error } = result;
  const cause = error.cause;
  if (cause instanceof AppError && cause.code !== "INTERNAL") {
    throw new TRPCError({ code: trpcCode(cause.code), message: cause.message, cause });
  }
  if (error.code !== "INTERNAL_SERVER_ERROR") return result; // tRPC's own: input validation, method checks
  console.error(`[trpc] ${type} ${path} failed:`, cause ?? error);
  throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: INTERNAL_MESSAGE, cause: cause ?? error });
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

export const publicProcedure = t.procedure.use(errorTranslation);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new AppError("UNAUTHORIZED", "Sign in first");
  return next({ ctx: { user: ctx.user } });
});

/** Operators named in LAB_ADMIN_EMAILS (emails are stored normalised, so the comparison is exact). */
export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.app.config.auth.adminEmails.includes(ctx.user.email)) throw new AppError("FORBIDDEN", "Administrators only");
  return next();
});

/** Loads the caller's own analysis session from `input.sessionId`; anyone else's is indistinguishable from missing. */
export const sessionProcedure = authedProcedure
  .input(z.object({ sessionId: z.uuid() }))
  .use(async ({ ctx, input, next }) => {
    const session = await findOwnedSession(ctx.app.db, ctx.user.id, input.sessionId);
    return next({ ctx: { session: session satisfies SessionRow } });
  });

/** Loads the caller's own cell from `input.cellId`, with its session; the owner check is the join. */
export const cellProcedure = authedProcedure.input(z.object({ cellId: z.uuid() })).use(async ({ ctx, input, next }) => {
  const cell = await ctx.app.db
    .selectFrom("cells")
    .innerJoin("analysis_sessions as s", "s.id", "cells.session_id")
    .selectAll("cells")
    .where("cells.id", "=", input.cellId)
    .where("s.user_id", "=", ctx.user.id)
    .executeTakeFirst();
  // The session through the one tenancy rule; deleted meanwhile reads as "not found", never as a 500.
  const session = cell ? await findOwnedSession(ctx.app.db, ctx.user.id, cell.session_id).catch(() => undefined) : undefined;
  if (!cell || !session) throw notFound("Cell");
  return next({ ctx: { cell: cell satisfies CellRow, session: session satisfies SessionRow } });
});

/** Loads the caller's own analysis task from `input.taskId`, with its session; the owner check is the join. */
export const taskProcedure = authedProcedure.input(z.object({ taskId: z.uuid() })).use(async ({ ctx, input, next }) => {
  const session = await ctx.app.db
    .selectFrom("llm_tasks as t")
    .innerJoin("analysis_sessions as s", "s.id", "t.session_id")
    .selectAll("s")
    .where("t.id", "=", input.taskId)
    .where("s.user_id", "=", ctx.user.id)
    .executeTakeFirst();
  if (!session) throw notFound("Task");
  return next({ ctx: { session: session satisfies SessionRow, taskId: input.taskId } });
});

/** Loads one version of the caller's own prompt template from `input.templateId`. */
export const templateProcedure = authedProcedure.input(z.object({ templateId: z.uuid() })).use(async ({ ctx, input, next }) => {
  const template = await ctx.app.db
    .selectFrom("llm_templates")
    .selectAll()
    .where("id", "=", input.templateId)
    .where("user_id", "=", ctx.user.id)
    .executeTakeFirst();
  if (!template) throw notFound("Template");
  return next({ ctx: { template } });
});

/** Loads the caller's own dataset from `input.datasetId`; anyone else's is indistinguishable from missing. */
export const datasetProcedure = authedProcedure.input(z.object({ datasetId: z.uuid() })).use(async ({ ctx, input, next }) => {
  const dataset = await findOwnedDataset(ctx.app.db, ctx.user.id, input.datasetId);
  return next({ ctx: { dataset: dataset satisfies DatasetRow } });
});

/** The caller's own session and own dataset together (attach/detach): both checked in SQL, session first. */
export const sessionDatasetProcedure = sessionProcedure.input(z.object({ datasetId: z.uuid() })).use(async ({ ctx, input, next }) => {
  const dataset = await findOwnedDataset(ctx.app.db, ctx.user.id, input.datasetId);
  return next({ ctx: { dataset: dataset satisfies DatasetRow } });
});
