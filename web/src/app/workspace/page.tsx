import { Suspense } from "react";
import { AppShell } from "@/components/app-shell";
import { WorkspaceRoute } from "@/features/workspace/components/workspace-route";

export default function Page() {
  return (
    <AppShell wide>
      <Suspense>
        <WorkspaceRoute />
      </Suspense>
    </AppShell>
  );
}
