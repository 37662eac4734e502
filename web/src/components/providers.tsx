"use client";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { LanguageInit, useT } from "@/lib/i18n";
import { t } from "@/lib/i18n/store";
import { errorCode, errorMessage } from "@/lib/errors";
import { TRPCProvider, makeTrpcClient } from "@/lib/trpc";
import { Toaster, toast } from "./ui/toaster";

declare module "@tanstack/react-query" {
  interface Register {
    /** `meta: { silent: true }`: the caller shows the error itself (forms show it inline). */
    queryMeta: { silent?: boolean };
    mutationMeta: { silent?: boolean };
  }
}

/** The one place errors become toasts, carrying the server's own message. */
function onError(err: unknown, meta: { silent?: boolean } | undefined) {
  if (meta?.silent) return;
  if (errorCode(err) === "UNAUTHORIZED" && !location.pathname.startsWith("/signin")) {
    const next = encodeURIComponent(location.pathname + location.search);
    location.assign(`/signin?next=${next}`);
    return;
  }
  toast.error(errorMessage(err, t("error.network")));
}

function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({ onError: (err, query) => onError(err, query.meta) }),
    mutationCache: new MutationCache({ onError: (err, _v, _c, mutation) => onError(err, mutation.meta) }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // A 4xx will not change on retry; a dropped connection might.
        retry: (count, err) => count < 2 && errorCode(err) === null,
        refetchOnWindowFocus: false,
      },
    },
  });
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() => makeTrpcClient());
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <LanguageInit />
        {children}
        <LocalizedToaster />
      </TRPCProvider>
    </QueryClientProvider>
  );
}

function LocalizedToaster() {
  const tr = useT();
  return <Toaster closeLabel={tr("common.close")} />;
}
