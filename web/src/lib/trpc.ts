import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { AppRouter } from "@server/routers/_app";

export type { AppRouter };
export type { RouterInputs, RouterOutputs } from "@server/routers/_app";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/**
 * Same origin as the page (the tRPC server serves the app). Subscriptions use SSE; everything else
 * httpBatchLink, not httpBatchStreamLink: a streamed response has sent its headers before auth.login
 * finishes, and then it could not set the session cookie.
 */
export function makeTrpcClient(base = "") {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url: `${base}/trpc` }),
        false: httpBatchLink({ url: `${base}/trpc`, maxURLLength: 4000 }),
      }),
    ],
  });
}
