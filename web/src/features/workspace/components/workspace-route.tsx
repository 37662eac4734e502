"use client";
import { useSearchParams } from "next/navigation";
import { RequireUser } from "@/features/auth/components/require-user";
import { SampleStarter } from "./sample-starter";
import { Workspace } from "./workspace";
import { WorkspaceStart } from "./workspace-start";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** /workspace?session=<id>[&readonly=1], /workspace?sample=diabetes, or /workspace to start. */
export function WorkspaceRoute() {
  const params = useSearchParams();
  const session = params.get("session");
  const content =
    session && UUID.test(session) ? (
      <Workspace key={session} sessionId={session} readOnly={params.get("readonly") === "1"} />
    ) : params.get("sample") ? (
      <SampleStarter />
    ) : (
      <WorkspaceStart />
    );
  return <RequireUser>{content}</RequireUser>;
}
