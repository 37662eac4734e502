"use client";
import { Badge } from "@/components/ui/badge";
import { Spinner } from "@/components/ui/spinner";
import type { Cell } from "@/features/outputs/lib/types";
import { assertNever } from "@/lib/assert-never";
import { useT } from "@/lib/i18n";
import { formatDuration, useElapsed } from "../hooks/use-elapsed";

/** queued / running with elapsed time / done / error / cancelled. */
export function CellStatus({ cell }: { cell: Cell }) {
  const t = useT();
  const elapsed = useElapsed(cell.startedAt, cell.endedAt);
  const time = elapsed === null ? "" : ` · ${formatDuration(elapsed)}`;
  switch (cell.status) {
    case "queued":
      return <Badge tone="gray" data-status="queued">{t("cell.queued")}</Badge>;
    case "running":
      return (
        <Badge tone="blue">
          <Spinner className="size-3" />
          <span data-status="running">{t("cell.running")}{time}</span>
        </Badge>
      );
    case "ok":
      return <Badge tone="green"><span data-status="ok">{t("cell.done")}{time}</span></Badge>;
    case "error":
      return <Badge tone="red"><span data-status="error">{t("cell.error")}{time}</span></Badge>;
    case "cancelled":
      return <Badge tone="amber"><span data-status="cancelled">{t("cell.cancelled")}</span></Badge>;
    default:
      return assertNever(cell.status, "cell status");
  }
}
