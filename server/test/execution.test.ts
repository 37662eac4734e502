import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRUNCATION_MARKER } from "../src/kernel/outputs.js";
import type { TSessionEvent } from "../src/services/events.js";
import { REPO_ROOT, type TestCaller } from "./helpers/app.js";
import { DATABASES } from "./helpers/db.js";
import { type Lab, run, startLab, text, waitForCell } from "./helpers/lab.js";

async function waitForStatus(c: TestCaller, sessionId: string, cellId: string, status: string) {
  for (let i = 0; i < 500; i++) {
    const cell = (await c.caller.sessions.get({ sessionId })).cells.find((x) => x.id === cellId);
    if (cell?.status === status) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`cell never reached ${status}`);
}

const KERNEL_PYTHON = path.join(REPO_ROOT, ".venvs/kernel/bin/python");

describe.each(DATABASES)("running cells in sandboxed kernels ($name)", ({ name }) => {
  let lab: Lab;
  let alice: TestCaller;
  let sessionId: string;

  beforeAll(async () => {
    lab = await startLab(name, { LAB_CELL_TIMEOUT_SECONDS: "6", LAB_CELL_OUTPUT_MAX_BYTES: "200000", LAB_KERNELS_PER_USER: "2" });
    alice = await lab.user();
    sessionId = (await alice.caller.sessions.create({ title: "血压分析" })).id;
  });
  afterAll(() => lab?.close());

  it("runs a cell and keeps its result, execution count and timing", async () => {
    const cell = await run(alice, sessionId, "x = 6 * 7\nx");
    expect(cell).toMatchObject({ status: "ok", executionCount: 1, error: null, source: "user", position: 0 });
    expect(cell.outputs).toEqual([{ output_type: "execute_result", execution_count: 1, data: { "text/plain": "42" }, metadata: {} }]);
    expect(Date.parse(cell.endedAt!)).toBeGreaterThanOrEqual(Date.parse(cell.startedAt!));
    // The session moves to the top of the history: its last activity is this cell's end.
    const listed = (await alice.caller.sessions.list()).find((s) => s.id === sessionId)!;
    expect(Date.parse(listed.updatedAt)).toBe(Date.parse(cell.endedAt!));
  });

  it("keeps state between cells of one session and every MIME type the kernel sends", async () => {
    const cell = await run(
      alice,
      sessionId,
      [
        "import pandas as pd, matplotlib.pyplot as plt, plotly.graph_objects as go",
        "from IPython.display import display, HTML, SVG, JSON",
        "print('x is', x)",
        "display(pd.DataFrame({'性别': ['M', 'F'], '血压': [120, 130]}))",
        "display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>'))",
        "display(JSON({'a': 1}))",
        "go.Figure(go.Bar(x=[1, 2], y=[3, 4])).show()",
        "plt.plot([1, 2], [3, 4]); plt.title('性别与血压'); plt.show()",
      ].join("\n"),
    );
    expect(cell.status).toBe("ok");
    const mimes = cell.outputs.flatMap((o) => ("data" in o ? Object.keys(o.data) : [o.output_type]));
    for (const m of ["stream", "text/html", "image/svg+xml", "application/json", "application/vnd.plotly.v1+json", "image/png"]) {
      expect(mimes).toContain(m);
    }
    expect(text(cell)).toContain("x is 42");
    expect(JSON.stringify(cell.outputs)).not.toContain("transient");
  });

  it("renders Chinese titles and labels in matplotlib with a CJK font (no missing glyphs)", async () => {
    const cell = await run(
      alice,
      sessionId,
      [
        "import warnings, matplotlib.pyplot as plt",
        "from matplotlib import font_manager",
        "with warnings.catch_warnings(record=True) as w:",
        "    warnings.simplefilter('always')",
        "    fig, ax = plt.subplots(); ax.plot([1, 2], [3, 4]); t = ax.set_title('性别与血压的相关性'); ax.set_xlabel('年龄'); ax.set_ylabel('收缩压')",
        "    fig.canvas.draw(); plt.show()",
        "import os; print('font:', os.path.basename(font_manager.findfont(t.get_fontproperties())))",
        "print('missing:', [str(x.message) for x in w if 'missing' in str(x.message)])",
      ].join("\n"),
    );
    expect(text(cell)).toMatch(/font: NotoSansCJK[\w-]*\.ttc\nmissing: \[\]\n$/);
    const png = cell.outputs.find((o) => o.output_type === "display_data" && "image/png" in o.data);
    expect(png).toBeDefined();
  });

  it("folds update_display_data into the output it updates", async () => {
    const cell = await run(alice, sessionId, "from IPython.display import display\nh = display('first', display_id=True)\nh.update('second')");
    expect(cell.outputs).toEqual([{ output_type: "display_data", data: { "text/plain": "'second'" }, metadata: {} }]);
  });

  it("keeps output holding NUL characters (Postgres text cannot) readable, instead of losing the cell", async () => {
    const cell = await run(alice, sessionId, "print('a\\x00b')\nfrom IPython.display import display\ndisplay({'text/plain': 'c\\x00d', 'application/json': {'k\\x00': 'v\\x00'}}, raw=True)");
    expect({ status: cell.status, error: cell.error }).toEqual({ status: "ok", error: null });
    expect(cell.outputs).toEqual([
      { output_type: "stream", name: "stdout", text: "a\uFFFDb\n" },
      { output_type: "display_data", data: { "text/plain": "c\uFFFDd", "application/json": { "k\uFFFD": "v\uFFFD" } }, metadata: {} },
    ]);
  });

  it("reports an exception as an error cell with its traceback", async () => {
    const cell = await run(alice, sessionId, "1 / 0");
    expect(cell.status).toBe("error");
    expect(cell.error).toBe("ZeroDivisionError: division by zero");
    const err = cell.outputs.find((o) => o.output_type === "error");
    expect(err).toMatchObject({ ename: "ZeroDivisionError", evalue: "division by zero" });
  });

  it("streams outputs on the session's event stream and resumes after the last event id", async () => {
    const events: { id: string; type: string }[] = [];
    const stream = await alice.caller.sessions.events({ sessionId, lastEventId: null });
    const cell = await alice.caller.sessions.run({ sessionId, code: "import time\nfor i in range(3):\n    print(i, flush=True); time.sleep(0.15)" });
    // Through a caller, `tracked(id, event)` arrives as its [id, event] envelope.
    for await (const [id, e] of stream as AsyncIterable<[string, TSessionEvent]>) {
      events.push({ id, type: e.type });
      if (e.type === "cell.status" && e.cellId === cell.id && e.status === "ok") break; // ends the generator
    }
    const ids = events.map((e) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    expect(events.filter((e) => e.type === "cell.output").length).toBeGreaterThanOrEqual(2); // printed while running

    // Resume: from the id before the last, exactly the last event comes again.
    const resumed = await alice.caller.sessions.events({ sessionId, lastEventId: events.at(-2)!.id });
    for await (const [id] of resumed as AsyncIterable<[string, TSessionEvent]>) {
      expect(id).toBe(events.at(-1)!.id);
      break;
    }
  });

  it("caps a cell's output with a visible marker and keeps the kernel usable", async () => {
    const cell = await run(alice, sessionId, "for i in range(100000):\n    print('line', i)");
    expect(cell.status).toBe("ok");
    // The cap counts the bytes of what was printed (JSON escaping adds to it in storage).
    const printed = cell.outputs.map((o) => (o.output_type === "stream" ? o.text : "")).join("");
    expect(Buffer.byteLength(printed)).toBeLessThan(200_000 + 200);
    expect(text(cell)).toContain(TRUNCATION_MARKER);
    expect(text(await run(alice, sessionId, "print('still here')"))).toBe("still here\n");
  });

  it("interrupts a cell over the time limit with a clear error, then runs the next one", async () => {
    const cell = await run(alice, sessionId, "while True:\n    pass");
    expect(cell.status).toBe("error");
    expect(cell.error).toMatch(/^Time limit: the cell ran longer than 6 s and was interrupted\.$/);
    expect(text(await run(alice, sessionId, "print(x)"))).toBe("42\n"); // same kernel, state kept
  });

  it("interrupts a running cell on request, cancelling the cells queued behind it", async () => {
    await run(alice, sessionId, "w = 'kept'");
    const long = await alice.caller.sessions.run({ sessionId, code: "import time\ntime.sleep(30)" });
    const queued = await alice.caller.sessions.run({ sessionId, code: "print('never')" });
    await waitForStatus(alice, sessionId, long.id, "running");
    await alice.caller.sessions.interrupt({ sessionId });
    const [a, b] = [await waitForCell(alice, sessionId, long.id), await waitForCell(alice, sessionId, queued.id)];
    expect(a).toMatchObject({ status: "error", error: "KeyboardInterrupt: " });
    expect(b).toMatchObject({ status: "cancelled", error: "Cancelled: an earlier cell was interrupted", outputs: [] });
    expect(text(await run(alice, sessionId, "print(w)"))).toBe("kept\n"); // same kernel, state kept
  });

  it("restarts a kernel that ignores the interrupt, saying variables were lost", async () => {
    const cell = await run(alice, sessionId, "import time\nwhile True:\n    try:\n        time.sleep(100)\n    except KeyboardInterrupt:\n        pass");
    expect(cell.error).toMatch(/ignored the interrupt, so the kernel was restarted/);
    expect(text(await run(alice, sessionId, "print('x' in globals())"))).toBe("False\n");
  });

  it("survives the kernel dying mid-cell: the cell says so, history stays, a fresh kernel answers", async () => {
    await run(alice, sessionId, "y = 1");
    const cell = await run(alice, sessionId, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)");
    expect(cell.status).toBe("error");
    expect(cell.error).toMatch(/^The kernel died while running this cell/);
    expect(text(await run(alice, sessionId, "print('y' in globals())"))).toBe("False\n");
    const history = await alice.caller.sessions.get({ sessionId });
    expect(history.cells.map((c) => c.position)).toEqual([...history.cells.keys()]);
    expect(history.cells.find((c) => c.id === cell.id)).toMatchObject({ status: "error", code: cell.code });
  });

  it("re-runs an edited cell in place, and restart gives an empty kernel", async () => {
    const first = await run(alice, sessionId, "z = 1\nz");
    const again = await alice.caller.sessions.run({ sessionId, cellId: first.id, code: "z = 2\nz" });
    const done = await waitForCell(alice, sessionId, again.id);
    expect(done).toMatchObject({ id: first.id, position: first.position, code: "z = 2\nz", status: "ok" });
    expect(text(done)).toBe("2\n");
    await alice.caller.sessions.restart({ sessionId });
    expect(text(await run(alice, sessionId, "print('z' in globals())"))).toBe("False\n");
  });

  it("starts the next kernel only once the old one is gone, when a cell follows a restart at once", async () => {
    await run(alice, sessionId, "w = 1");
    // Not awaited: once the old kernel is no longer live its shutdown (a gateway round trip) is still under
    // way, and the cell's kernel start races it (one kernel row per session).
    const restarting = alice.caller.sessions.restart({ sessionId });
    while ((await alice.caller.sessions.get({ sessionId })).kernelLive) await new Promise((r) => setTimeout(r, 5));
    const cell = await run(alice, sessionId, "print('w' in globals())");
    await restarting;
    expect({ status: cell.status, error: cell.error, text: text(cell) }).toEqual({ status: "ok", error: null, text: "False\n" });
  });

  it("caps live kernels per user atomically, with a clear message", async () => {
    const bob = await lab.user();
    const ids = await Promise.all([1, 2, 3].map(async (i) => (await bob.caller.sessions.create({ title: `s${i}` })).id));
    const cells = await Promise.all(ids.map((id) => run(bob, id, "print('ok')")));
    expect(cells.filter((c) => c.status === "ok")).toHaveLength(2);
    const refused = cells.filter((c) => c.status === "error");
    expect(refused).toHaveLength(1);
    expect(refused[0]!.error).toMatch(/You already have 2 running kernels \(the limit\)/);
    // Which of the three was refused is a race; free a kernel by deleting one that got one.
    await bob.caller.sessions.delete({ sessionId: cells.find((c) => c.status === "ok")!.sessionId });
    expect((await run(bob, refused[0]!.sessionId, "print('ok')")).status).toBe("ok");
  });

  it("exports a valid nbformat 4.5 notebook that nbclient re-executes", async () => {
    const s = (await alice.caller.sessions.create({ title: "export" })).id;
    await run(alice, s, "import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()\nprint('hi')");
    const nb = await alice.caller.sessions.exportNotebook({ sessionId: s });
    expect(nb).toMatchObject({ nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: "python3" }, language_info: { name: "python" } } });
    expect(nb.metadata.llm_data_lab.packages.pandas).toMatch(/^\d+\.\d+/);
    const file = path.join(os.tmpdir(), `nb-${s}.ipynb`);
    writeFileSync(file, JSON.stringify(nb));
    const out = execFileSync(KERNEL_PYTHON, [
      "-c",
      "import sys, nbformat, nbclient\nnb = nbformat.read(sys.argv[1], as_version=4)\nnbformat.validate(nb)\nnbclient.NotebookClient(nb, kernel_name='python3', timeout=120).execute()\nprint(nb.cells[0].outputs[-1]['text'].strip())",
      file,
    ]).toString();
    expect(out.trim()).toBe("hi");
  });
});

describe("idle kernels", () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab("pglite", { LAB_KERNEL_IDLE_SECONDS: "1" });
  });
  afterAll(() => lab?.close());

  it("are culled, come back on the next cell, and can replay earlier cells to restore state", async () => {
    const u = await lab.user();
    const s = (await u.caller.sessions.create({})).id;
    await run(u, s, "a = 41");
    await new Promise((r) => setTimeout(r, 2500));
    expect((await u.caller.sessions.get({ sessionId: s })).kernelLive).toBe(false);
    expect(text(await run(u, s, "print('a' in globals())"))).toBe("False\n");
    await new Promise((r) => setTimeout(r, 2500));
    const replayed = await u.caller.sessions.run({ sessionId: s, code: "print(a + 1)", replay: true });
    expect(text(await waitForCell(u, s, replayed.id))).toBe("42\n");
  });
});
