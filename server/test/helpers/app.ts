import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../src/config/index.js";
import type { AppContext, AppServices } from "../../src/context.js";
import { validateAuthSession } from "../../src/services/auth-sessions.js";
import { toUserDto } from "../../src/services/auth.js";
import { appRouter } from "../../src/routers/_app.js";
import { type TrpcContext, createCallerFactory } from "../../src/trpc.js";
import { TEST_DATABASE_URL, type TestDb, type TestDbKind, openTestDb } from "./db.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * An AppContext on a test database with default config and no kernel services: enough for
 * procedures that only touch SQL. Pass `services` for the rest.
 */
export async function openTestApp(
  kind: TestDbKind,
  overrides: { services?: AppServices } = {},
): Promise<AppContext & { testDb: TestDb }> {
  const testDb = await openTestDb(kind);
  const { config, secrets } = loadConfig({}, REPO_ROOT);
  return {
    config: {
      ...config,
      database: kind === "postgres" ? { kind, url: TEST_DATABASE_URL } : { kind, dataDir: "memory://" },
    },
    secrets,
    db: testDb.db,
    // Auth tests need no kernels; suites that do pass real services.
    services: overrides.services ?? ({} as AppServices),
    close: testDb.close,
    testDb,
  };
}

const createCaller = createCallerFactory(appRouter);

export interface TestCaller {
  caller: ReturnType<typeof createCaller>;
  /** Set-Cookie values the procedures sent. */
  cookies: string[];
}

/**
 * A caller as the HTTP layer would build it for a request from `ip` carrying `token`. tRPC callers take
 * the abort signal here, once per caller (a second argument to a procedure is ignored).
 */
export async function callerFor(
  app: AppContext,
  opts: { token?: string; ip?: string; signal?: AbortSignal } = {},
): Promise<TestCaller> {
  const token = opts.token ?? null;
  const session = token ? await validateAuthSession(app.db, token, app.config.auth) : null;
  const cookies: string[] = [];
  const ctx: TrpcContext = {
    app,
    user: session ? toUserDto(session.user) : null,
    authSessionToken: session ? token : null,
    req: { ip: opts.ip ?? "192.0.2.1", origin: null, userAgent: "vitest" },
    resHeaders: { setCookie: (c) => cookies.push(c) },
  };
  return { caller: createCaller(ctx, { signal: opts.signal }), cookies };
}
