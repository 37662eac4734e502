"use client";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { assertNever } from "@/lib/assert-never";
import { type MessageKey, useT } from "@/lib/i18n";
import type { KernelState } from "../lib/apply-event";

function look(state: KernelState): [BadgeTone, MessageKey] {
  switch (state) {
    case "none":
      return ["gray", "kernel.none"];
    case "starting":
      return ["blue", "kernel.starting"];
    case "idle":
      return ["green", "kernel.idle"];
    case "busy":
      return ["blue", "kernel.busy"];
    case "restarting":
      return ["amber", "kernel.restarting"];
    case "dead":
      return ["red", "kernel.dead"];
    case "stopped":
      return ["gray", "kernel.stopped"];
    default:
      return assertNever(state, "kernel state");
  }
}

export function KernelStatus({ state, message }: { state: KernelState; message: string | null }) {
  const t = useT();
  const [tone, key] = look(state);
  return (
    <span title={message ?? undefined} data-testid="kernel-status" data-kernel={state}>
      <Badge tone={tone}>
        <span className={`size-1.5 rounded-full ${state === "busy" || state === "starting" ? "animate-pulse" : ""} bg-current`} />
        {t("kernel.label")}: {t(key)}
      </Badge>
    </span>
  );
}
