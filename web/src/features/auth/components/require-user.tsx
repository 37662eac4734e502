"use client";
import type { ReactNode } from "react";
import { Skeleton } from "@/components/ui/skeleton";
import { useRequireUser } from "../hooks/use-me";

/** Renders children for a signed-in user; a skeleton while checking; visitors are sent to sign in. */
export function RequireUser({ children }: { children: ReactNode }) {
  const me = useRequireUser();
  if (!me.data) {
    return (
      <div className="mx-auto max-w-5xl space-y-3 px-6 py-8" aria-busy>
        <Skeleton className="h-8 w-64" />
        <Skeleton className="h-4 w-96" />
        <Skeleton className="mt-6 h-40 w-full" />
      </div>
    );
  }
  return <>{children}</>;
}
