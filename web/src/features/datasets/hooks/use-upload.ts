"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef, useState } from "react";
import { toast } from "@/components/ui/toaster";
import { t } from "@/lib/i18n/store";
import { useTRPC } from "@/lib/trpc";
import { UploadCancelled, uploadDataset } from "../lib/upload";

export type UploadState = { kind: "idle" } | { kind: "uploading"; name: string; progress: number } | { kind: "attaching"; name: string };

/** Upload a file (with progress and cancel) and attach it to the session, so the kernel sees it at /data. */
export function useUploadAndAttach(sessionId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [state, setState] = useState<UploadState>({ kind: "idle" });
  const abort = useRef<AbortController | null>(null);
  const attach = useMutation(trpc.datasets.attach.mutationOptions());

  const upload = useCallback(
    async (file: Blob, name: string) => {
      const controller = new AbortController();
      abort.current = controller;
      setState({ kind: "uploading", name, progress: 0 });
      try {
        const { dataset } = await uploadDataset(file, name, { signal: controller.signal, onProgress: (progress) => setState({ kind: "uploading", name, progress }) });
        setState({ kind: "attaching", name });
        await attach.mutateAsync({ sessionId, datasetId: dataset.id });
        await Promise.all([
          queryClient.invalidateQueries(trpc.datasets.attached.queryFilter({ sessionId })),
          queryClient.invalidateQueries(trpc.datasets.list.queryFilter()),
        ]);
        return dataset;
      } catch (err) {
        if (err instanceof UploadCancelled) toast.info(t("datasets.cancelled"));
        else if (err instanceof Error && err.message !== "network") toast.error(err.message);
        else toast.error(t("error.network"));
        return null;
      } finally {
        abort.current = null;
        setState({ kind: "idle" });
      }
    },
    [attach, queryClient, sessionId, trpc],
  );
  const cancel = useCallback(() => abort.current?.abort(), []);
  return { state, upload, cancel };
}
