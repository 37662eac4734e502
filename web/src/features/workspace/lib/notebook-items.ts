import type { Cell } from "@/features/outputs/lib/types";
import { type TaskView, taskCellIds } from "./tasks";

export type NotebookItem = { kind: "cell"; cell: Cell } | { kind: "task"; task: TaskView };

/** Cells and requests in the order they happened; a request's own cells show inside it, not again on their own. */
export function notebookItems(cells: Cell[], tasks: TaskView[]): NotebookItem[] {
  const owned = taskCellIds(tasks);
  const items: { at: number; item: NotebookItem }[] = [
    ...cells.filter((c) => !owned.has(c.id)).map((cell) => ({ at: cell.position, item: { kind: "cell" as const, cell } })),
    ...tasks.map((task) => ({ at: task.after + 0.5, item: { kind: "task" as const, task } })),
  ];
  // Stable: tasks asked at the same point keep the order they were asked in.
  return items.sort((a, b) => a.at - b.at).map((x) => x.item);
}
