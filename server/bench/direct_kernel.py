"""The bench's baseline: a plain local ipykernel (no gateway, no sandbox) driven by jupyter_client over ZMQ.

Run with the kernel venv's python. It starts one kernel, then answers one JSON line per command read
from stdin, so the Node side can interleave its measurements with ours on a noisy machine:

    roundtrip N   -> {"samples": [ms, ...]}   execute "1+1" N times (reply on shell + idle on iopub)
    cold N        -> {"samples": [ms, ...]}   N fresh kernels: start -> ready -> "1+1" -> reply
    rss CODE      -> {"rssKb": n, "anonKb": n} run CODE in the kernel, then its memory (process tree)
    quit

The first line it prints is {"ready": true} once the kernel answered kernel_info.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from queue import Empty

from jupyter_client.manager import KernelManager

TIMEOUT = 60.0
# The same knobs the sandbox sets (kernel-image/sandbox/launch_kernel.py kernel_env), minus the paths.
KERNEL_ENV = {
    "PYTHONUNBUFFERED": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "OMP_NUM_THREADS": "2",
    "OPENBLAS_NUM_THREADS": "2",
    "MKL_NUM_THREADS": "2",
}


def start(workdir: str):
    km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(workdir, f"k{time.monotonic_ns()}"))
    km.start_kernel(cwd=workdir, env={**os.environ, **KERNEL_ENV})
    kc = km.client()
    kc.start_channels()
    ready(kc)
    return km, kc


def ready(kc) -> None:
    """kernel_info answered on shell and its status seen on iopub, so no output of the next cell is lost.
    (wait_for_ready() would add its fixed 0.2 s iopub flush to every cold start.)"""
    while True:
        msg_id = kc.kernel_info()
        while kc.get_shell_msg(timeout=TIMEOUT)["parent_header"].get("msg_id") != msg_id:
            pass
        try:
            while kc.get_iopub_msg(timeout=0.2)["parent_header"].get("msg_id") != msg_id:
                pass
            return
        except Empty:
            continue  # iopub was not subscribed yet: ask again


def stop(km, kc) -> None:
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def execute(kc, code: str) -> None:
    """One round trip as the lab does it: execute_request, then execute_reply and iopub idle for it."""
    msg_id = kc.execute(code, silent=False, store_history=True, allow_stdin=False, stop_on_error=True)
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content']}")
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if (
            msg["parent_header"].get("msg_id") == msg_id
            and msg["msg_type"] == "status"
            and msg["content"]["execution_state"] == "idle"
        ):
            return


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def cold(workdir: str) -> float:
    t0 = time.perf_counter()
    km, kc = start(workdir)
    execute(kc, "1+1")
    ms = (time.perf_counter() - t0) * 1000
    stop(km, kc)  # shutting down is not part of "new session to first result"
    return ms


def tree_rss_kb(pid: int) -> dict[str, int]:
    """VmRSS and RssAnon (its private part) summed over the process and its children."""
    total, todo = {"rssKb": 0, "anonKb": 0}, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                fields = dict(line.split(":", 1) for line in f)
            total["rssKb"] += int(fields.get("VmRSS", "0 kB").split()[0])
            total["anonKb"] += int(fields.get("RssAnon", "0 kB").split()[0])
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except FileNotFoundError:
            pass
    return total


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lab-bench-direct-") as workdir:
        os.environ["JUPYTER_RUNTIME_DIR"] = workdir
        km, kc = start(workdir)
        try:
            print(json.dumps({"ready": True}), flush=True)
            for line in sys.stdin:
                cmd, _, arg = line.strip().partition(" ")
                if cmd == "roundtrip":
                    out = {"samples": [timed(lambda: execute(kc, "1+1")) for _ in range(int(arg))]}
                elif cmd == "cold":
                    out = {"samples": [cold(workdir) for _ in range(int(arg))]}
                elif cmd == "rss":
                    execute(kc, json.loads(arg))
                    time.sleep(0.5)
                    out = tree_rss_kb(km.provisioner.process.pid)
                elif cmd == "quit":
                    break
                else:
                    out = {"error": f"unknown command {cmd!r}"}
                print(json.dumps(out), flush=True)
        finally:
            stop(km, kc)


if __name__ == "__main__":
    main()
