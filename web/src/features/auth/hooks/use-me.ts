"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { useTRPC } from "@/lib/trpc";

export function useMe() {
  const trpc = useTRPC();
  return useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 60_000 }));
}

/** For pages that need an account: sends visitors to sign in, then back here. */
export function useRequireUser() {
  const me = useMe();
  const router = useRouter();
  useEffect(() => {
    if (me.isSuccess && !me.data) {
      router.replace(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
    }
  }, [me.isSuccess, me.data, router]);
  return me;
}

export function useSignOut() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  return useMutation(
    trpc.auth.logout.mutationOptions({
      onSuccess: () => {
        // Nothing of the previous account may linger in the cache.
        queryClient.clear();
        router.push("/signin");
      },
    }),
  );
}
