import type { RouterOutputs } from "@/lib/trpc";

export type Cell = RouterOutputs["sessions"]["get"]["cells"][number];
export type Output = Cell["outputs"][number];
