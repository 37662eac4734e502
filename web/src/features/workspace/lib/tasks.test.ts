import { describe, expect, it } from "vitest";
import { type Tasks, applyTaskEvent, taskCellIds } from "./tasks";

const created = {
  type: "task.created" as const,
  taskId: "t1",
  request: "correlation plot",
  mode: "analysis" as const,
  template: "data-analysis",
  models: [
    { runId: "r1", model: "offline", runsIn: "session" },
    { runId: "r2", model: "other", runsIn: "session" },
  ],
};

describe("applyTaskEvent", () => {
  it("streams tokens by offset, so a repeated token is harmless, and the whole answer replaces them", () => {
    let tasks: Tasks = applyTaskEvent([], created);
    for (const [offset, text] of [[0, "Hel"], [3, "lo"], [3, "lo"]] as const) {
      tasks = applyTaskEvent(tasks, { type: "task.token", taskId: "t1", runId: "r1", step: "code", attempt: 1, offset, text });
    }
    expect(tasks[0]!.runs[0]!.texts).toEqual({ "code:1": "Hello" });
    tasks = applyTaskEvent(tasks, { type: "task.answer", taskId: "t1", runId: "r1", step: "code", attempt: 1, text: "Hello!" });
    expect(tasks[0]!.runs[0]!.texts).toEqual({ "code:1": "Hello!" });
    expect(tasks[0]!.runs[1]!.texts).toEqual({});
  });

  it("records attempts, interpretation, usage and the end of each run", () => {
    let tasks = applyTaskEvent([], created);
    tasks = applyTaskEvent(tasks, { type: "task.attempt", taskId: "t1", runId: "r2", attempt: 1, cellId: "c9", status: "error", error: "boom" });
    tasks = applyTaskEvent(tasks, { type: "task.interpretation", taskId: "t1", runId: "r2", text: "r = 0.3" });
    tasks = applyTaskEvent(tasks, { type: "task.usage", taskId: "t1", runId: "r2", model: "other", tokensIn: 10, tokensOut: 5, latencyMs: 100, estimatedCostUsd: null });
    tasks = applyTaskEvent(tasks, { type: "task.run.done", taskId: "t1", runId: "r2", status: "ok", error: null });
    tasks = applyTaskEvent(tasks, { type: "task.done", taskId: "t1", status: "ok" });
    const run = tasks[0]!.runs[1]!;
    expect(run).toMatchObject({
      attempts: [{ attempt: 1, cellId: "c9", status: "error", error: "boom" }],
      interpretation: "r = 0.3",
      usage: { model: "other", tokensIn: 10, tokensOut: 5, latencyMs: 100, estimatedCostUsd: null },
      status: "ok",
    });
    expect(tasks[0]!.status).toBe("ok");
    expect(taskCellIds(tasks)).toEqual(new Set(["c9"]));
  });
});
