"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { uploadDataset } from "@/features/datasets/lib/upload";
import { errorMessage } from "@/lib/errors";
import { useT } from "@/lib/i18n";
import { useTRPC } from "@/lib/trpc";

/**
 * "Try it with sample data": a new session with the bundled sample dataset (served by the app itself at
 * /sample/diabetes.csv) uploaded and attached like any file, so the kernel reads it at /data.
 */
export function SampleStarter() {
  const t = useT();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const started = useRef(false);
  const [error, setError] = useState<string | null>(null);
  const create = useMutation(trpc.sessions.create.mutationOptions());
  const attach = useMutation(trpc.datasets.attach.mutationOptions());

  const start = async () => {
    setError(null);
    try {
      const res = await fetch("/sample/diabetes.csv");
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const [session, { dataset }] = await Promise.all([create.mutateAsync({ title: t("sample.title") }), res.blob().then((b) => uploadDataset(b, "diabetes.csv"))]);
      await attach.mutateAsync({ sessionId: session.id, datasetId: dataset.id });
      void queryClient.invalidateQueries(trpc.sessions.list.pathFilter());
      router.replace(`/workspace?session=${session.id}`);
    } catch (err) {
      setError(errorMessage(err, t("error.network")));
    }
  };
  useEffect(() => {
    // Once, even under StrictMode's double effects: a second session would be a stray empty one.
    if (started.current) return;
    started.current = true;
    void start();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- runs once on arrival
  }, []);

  return (
    <div className="mx-auto max-w-3xl space-y-3 px-6 py-10" aria-busy={!error}>
      {error ? (
        <div className="rounded-lg bg-red-50 p-4 text-sm text-red-800" role="alert">
          <p>{t("sample.failed", { message: error })}</p>
          <Button size="sm" className="mt-3" onClick={() => void start()}>{t("sample.retry")}</Button>
        </div>
      ) : (
        <>
          <p className="text-sm text-slate-500">{t("sample.preparing")}</p>
          <Skeleton className="h-8 w-72" />
          <Skeleton className="h-32 w-full" />
        </>
      )}
    </div>
  );
}
