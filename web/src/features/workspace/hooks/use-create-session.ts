"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { langStore, t } from "@/lib/i18n/store";
import { useTRPC } from "@/lib/trpc";

/** A default title in the interface's language ("Analysis 11/22 15:04" / "分析 11/22 15:04"). */
export function defaultTitle(): string {
  const when = new Date().toLocaleString(langStore.get(), { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  return t("session.defaultTitle", { when });
}

/** Creates an analysis session and opens it. */
export function useCreateSession() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  return useMutation(
    trpc.sessions.create.mutationOptions({
      onSuccess: (s) => {
        void queryClient.invalidateQueries(trpc.sessions.list.pathFilter());
        router.push(`/workspace?session=${s.id}`);
      },
    }),
  );
}
