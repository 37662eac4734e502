import { describe, expect, it } from "vitest";
import type { Cell } from "@/features/outputs/lib/types";
import { type SessionEvent, applyChange, applyEvent, initialState } from "./apply-event";

const cell = (over: Partial<Cell> = {}): Cell => ({
  id: "c1",
  sessionId: "s1",
  position: 0,
  source: "user",
  code: "print(1)",
  status: "queued",
  outputs: [],
  executionCount: null,
  error: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  startedAt: null,
  endedAt: null,
  ...over,
});

const replay = (events: SessionEvent[], start = initialState({ cells: [], kernelLive: false })) => events.reduce(applyEvent, start);

describe("applyEvent", () => {
  const run: SessionEvent[] = [
    { type: "cell.created", cell: cell() },
    { type: "cell.status", cellId: "c1", status: "running", executionCount: null, error: null, startedAt: "2026-01-01T00:00:01.000Z", endedAt: null },
    { type: "cell.output", cellId: "c1", change: { kind: "set", index: 0, output: { output_type: "stream", name: "stdout", text: "1" } } },
    { type: "cell.output", cellId: "c1", change: { kind: "append", index: 0, name: "stdout", text: "\n" } },
    { type: "cell.status", cellId: "c1", status: "ok", executionCount: 1, error: null, startedAt: "2026-01-01T00:00:01.000Z", endedAt: "2026-01-01T00:00:02.000Z" },
  ];
  const finished = cell({
    status: "ok",
    executionCount: 1,
    startedAt: "2026-01-01T00:00:01.000Z",
    endedAt: "2026-01-01T00:00:02.000Z",
    outputs: [{ output_type: "stream", name: "stdout", text: "1\n" }],
  });

  it("builds a cell from its events", () => {
    expect(replay(run).cells).toEqual([finished]);
  });

  it("lands on a snapshot taken after the events with the same result (replay from the first event)", () => {
    const snapshot = initialState({ cells: [finished], kernelLive: true });
    expect(replay(run, snapshot)).toEqual({ cells: [finished], tasks: [], kernel: "idle", kernelMessage: null });
  });

  it("resets a re-run cell in place and keeps cells in position order", () => {
    const other = cell({ id: "c0", position: -1 });
    const rerun = cell({ code: "print(2)" });
    const state = replay([{ type: "cell.created", cell: rerun }], initialState({ cells: [finished, other], kernelLive: true }));
    expect(state.cells).toEqual([other, rerun]);
  });

  it("shows the kernel busy while a cell runs and idle after it, but never revives a dead kernel", () => {
    const [created, running, , , ok] = run;
    expect(replay([created!, running!]).kernel).toBe("busy");
    expect(replay(run).kernel).toBe("idle");
    expect(replay([created!, running!, { type: "kernel.status", status: "dead" }, ok!]).kernel).toBe("dead");
  });

  it("tracks the kernel's status and message", () => {
    const state = replay([{ type: "kernel.status", status: "dead", message: "out of memory" }]);
    expect([state.kernel, state.kernelMessage]).toEqual(["dead", "out of memory"]);
  });

  it("ignores events for cells it does not have", () => {
    const state = replay([{ type: "cell.output", cellId: "nope", change: { kind: "clear" } }]);
    expect(state.cells).toEqual([]);
  });
});

describe("applyChange", () => {
  it("clears, sets and appends to stream outputs", () => {
    const text = { output_type: "stream" as const, name: "stdout" as const, text: "a" };
    expect(applyChange([text], { kind: "append", index: 0, name: "stdout", text: "b" })).toEqual([{ ...text, text: "ab" }]);
    expect(applyChange([text], { kind: "append", index: 1, name: "stderr", text: "x" })).toEqual([text, { output_type: "stream", name: "stderr", text: "x" }]);
    expect(applyChange([text], { kind: "clear" })).toEqual([]);
  });
});
