#!/usr/bin/env python3
"""Start one ipykernel inside a bubblewrap sandbox.

Enterprise Gateway runs this (as the gateway's user, usually root) through the kernelspec's argv:

    launch_kernel.py --config sandbox.json {connection_file}

The kernel is the attacker (LLM-written code steered by uploaded data), so it gets:
  * no network (own network namespace), own PID/IPC/UTS namespaces, ZMQ over ipc sockets in a
    per-kernel folder that only it and the gateway can see;
  * an unprivileged per-kernel uid (setpriv drops to it *before* bwrap: RLIMIT_NPROC is ignored for
    real root), no capabilities, no_new_privs;
  * a read-only system (only /usr, the Python prefix, the kernel venv, fonts), an empty environment,
    its session's workspace (rw) and datasets (ro), a size-limited /tmp;
  * limits on memory (cgroup, else RLIMIT_AS), processes (pids cgroup and RLIMIT_NPROC), file size,
    CPU time and a low CPU weight so a busy loop cannot starve other users.
We exec (never fork) so the gateway's pid for the kernel is bwrap itself: when the kernel dies,
the gateway sees it and auto-restarts.
"""
from __future__ import annotations

import argparse
import ctypes
import fcntl
import json
import os
import re
import resource
import shutil
import sys

WORKSPACE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SANDBOX_UID = 1000  # the uid the kernel sees inside its user namespace
# Datasets issue: the `lab_data` helper (load an attached dataset in one call), read-only on the kernel's path.
LAB_PYTHON = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python")


def fail(msg: str) -> None:
    print(f"lab-sandbox: {msg}", file=sys.stderr, flush=True)
    sys.exit(2)


class Stage:
    """Private mount namespace with a tmpfs on /mnt where root binds what the sandbox needs.

    bwrap runs unprivileged (so RLIMIT_NPROC and the uid hold) and can only bind paths its uid can
    reach; the interpreter or the repo may live under a 0700 home (/root/.pyenv here). Only this
    process tree sees these mounts.
    """

    MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
    CLONE_NEWNS = 0x00020000

    def __init__(self) -> None:
        self.libc = ctypes.CDLL(None, use_errno=True)
        self._check(self.libc.unshare(self.CLONE_NEWNS), "unshare(CLONE_NEWNS)")
        self._check(self.libc.mount(None, b"/", None, self.MS_REC | self.MS_PRIVATE, None), "make / private")
        os.makedirs("/mnt", exist_ok=True)
        self._check(self.libc.mount(b"lab-stage", b"/mnt", b"tmpfs", 0, b"mode=755,size=64k"), "tmpfs /mnt")

    def _check(self, rc: int, what: str) -> None:
        if rc != 0:
            err = ctypes.get_errno()
            fail(f"{what}: {os.strerror(err)}")

    def add(self, src: str, name: str) -> str:
        dest = f"/mnt/{name}"
        if os.path.isdir(src):
            os.mkdir(dest)
        else:
            open(dest, "w").close()
        self._check(self.libc.mount(src.encode(), dest.encode(), None, self.MS_BIND | self.MS_REC, None), f"bind {src}")
        return dest


def read_config(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)
    for key in ("kernelPrefix", "runtimeDir", "workspacesDir", "uidBase", "uidCount", "limits", "sandbox"):
        if key not in cfg:
            fail(f"{path}: missing '{key}'")
    return cfg


def allocate_uid(cfg: dict) -> int:
    """Pick a uid no live kernel holds. Slots name the pid that holds them; a dead pid frees its slot.

    We exec into bwrap, so our pid stays the kernel's outer pid for its whole life.
    """
    slots = os.path.join(cfg["runtimeDir"], ".uids")
    os.makedirs(slots, mode=0o700, exist_ok=True)
    with open(os.path.join(slots, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for i in range(cfg["uidCount"]):
            slot = os.path.join(slots, str(i))
            try:
                with open(slot) as f:
                    holder = int(f.read().strip() or 0)
                if holder and os.path.exists(f"/proc/{holder}"):
                    continue
            except FileNotFoundError:
                pass
            with open(slot, "w") as f:
                f.write(str(os.getpid()))
            return cfg["uidBase"] + i
    fail("no free sandbox uid: too many live kernels")
    return -1


def chown_tree(path: str, uid: int, gid: int) -> None:
    # lchown: never follow a symlink the previous kernel planted (e.g. to /etc/shadow).
    os.lchown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


def cgroup_dir(controller: str, kernel_id: str) -> str | None:
    base = f"/sys/fs/cgroup/{controller}"
    if not os.access(base, os.W_OK):
        return None
    parent = os.path.join(base, "lab-kernels")
    try:
        os.makedirs(parent, exist_ok=True)
        for stale in os.listdir(parent):  # empty groups of kernels that are gone; busy ones refuse rmdir
            try:
                os.rmdir(os.path.join(parent, stale))
            except OSError:
                pass
        path = os.path.join(parent, kernel_id)
        os.makedirs(path, exist_ok=True)
        return path
    except OSError:
        return None


def apply_limits(cfg: dict, kernel_id: str) -> list[str]:
    """Join cgroups (v1 here; the Dockerfile/k8s path uses the pod's limits) and set rlimits. Returns notes."""
    lim = cfg["limits"]
    notes = []
    mem = lim["memoryMb"] * 1024 * 1024
    memcg = cgroup_dir("memory", kernel_id)
    if memcg:
        with open(os.path.join(memcg, "memory.limit_in_bytes"), "w") as f:
            f.write(str(mem))
        with open(os.path.join(memcg, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    else:
        resource.setrlimit(resource.RLIMIT_AS, (mem * 2, mem * 2))  # address space, not RSS: give headroom
        notes.append("memory limit via RLIMIT_AS (no writable memory cgroup)")
    pidscg = cgroup_dir("pids", kernel_id)
    if pidscg:
        with open(os.path.join(pidscg, "pids.max"), "w") as f:
            f.write(str(lim["maxProcs"]))
        with open(os.path.join(pidscg, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    cpucg = cgroup_dir("cpu", kernel_id)
    if cpucg:
        with open(os.path.join(cpucg, "cpu.shares"), "w") as f:
            f.write(str(lim.get("cpuShares", 256)))
        with open(os.path.join(cpucg, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    # Threads count as processes for RLIMIT_NPROC; per-kernel uids make the count per kernel.
    resource.setrlimit(resource.RLIMIT_NPROC, (lim["maxProcs"], lim["maxProcs"]))
    fsize = lim["fileSizeMb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CPU, (lim["cpuSeconds"], lim["cpuSeconds"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(lim.get("nice", 5))
    return notes


def python_home(prefix: str) -> str:
    """The base interpreter the venv points at (pyvenv.cfg `home` is its bin dir)."""
    with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition("=")
            if key.strip() == "home":
                return os.path.dirname(os.path.realpath(value.strip()))
    fail("kernel venv has no pyvenv.cfg home")
    return ""


def kernel_env(cfg: dict, kernel_dir: str) -> dict[str, str]:
    threads = str(cfg["limits"].get("threads", 2))
    return {
        "PATH": f"{cfg['kernelPrefix']}/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "MPLCONFIGDIR": os.path.join(kernel_dir, "mpl"),
        "MATPLOTLIBRC": "/opt/lab/matplotlibrc",
        "IPYTHONDIR": "/tmp/.ipython",
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "PIP_NO_INDEX": "1",  # `pip install` fails at once and says why, instead of hanging on DNS
        "PYTHONPATH": "/opt/lab/python" if cfg["sandbox"] else LAB_PYTHON,  # lab_data (datasets issue)
    }


def bwrap_argv(cfg: dict, kernel_dir: str, work: str, data: str, conn: str, fds: list[int]) -> list[str]:
    prefix = cfg["kernelPrefix"]
    home = python_home(prefix)
    stage = Stage()
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
            # Mounts apply in order: /tmp first, so binds below it (a clone or LAB_HOME under /tmp) stay visible.
            "--size", str(cfg["limits"]["tmpMb"] * 1024 * 1024), "--tmpfs", "/tmp",
            "--ro-bind", stage.add(home, "python"), home, "--ro-bind", stage.add(prefix, "venv"), prefix,
            "--proc", "/proc", "--dev", "/dev",
            "--dir", "/etc"]
    for path in ("/etc/fonts", "/etc/ld.so.cache", "/etc/localtime", "/etc/mime.types"):
        if os.path.exists(path):
            argv += ["--ro-bind", path, path]
    passwd_r, passwd_w = os.pipe()
    os.write(passwd_w, f"lab:x:{SANDBOX_UID}:{SANDBOX_UID}:lab:/tmp:/usr/sbin/nologin\n".encode())
    os.close(passwd_w)
    group_r, group_w = os.pipe()
    os.write(group_w, f"lab:x:{SANDBOX_UID}:\n".encode())
    os.close(group_w)
    fds += [passwd_r, group_r]
    argv += ["--ro-bind-data", str(passwd_r), "/etc/passwd", "--ro-bind-data", str(group_r), "/etc/group",
             "--dir", "/opt/lab", "--ro-bind", stage.add(cfg["matplotlibrc"], "matplotlibrc"), "/opt/lab/matplotlibrc",
             "--ro-bind", stage.add(LAB_PYTHON, "pylib"), "/opt/lab/python",  # lab_data (datasets issue)
             "--bind", stage.add(work, "work"), "/workspace", "--ro-bind", stage.add(data, "data"), "/data",
             "--bind", stage.add(kernel_dir, "kernel"), kernel_dir, "--chdir", "/workspace", "--clearenv"]
    for key, value in kernel_env(cfg, kernel_dir).items():
        argv += ["--setenv", key, value]
    return argv + ["--", f"{prefix}/bin/python", "-m", "ipykernel_launcher", "-f", conn, *KERNEL_ARGS]


# IPython's own history database (a SQLite file and a writer thread per kernel, ~2 MB) is not kept: the
# server records every cell, and the workspace holds only the user's files.
KERNEL_ARGS = ["--HistoryManager.enabled=False"]


def copy_font_cache(src: str | None, dest: str) -> None:
    """matplotlib rebuilds its font list (seconds, with the CJK fonts) unless it finds one: reuse the one built at install."""
    if not src or not os.path.isdir(src):
        return
    for name in os.listdir(src):
        if name.startswith("fontlist"):
            shutil.copy(os.path.join(src, name), os.path.join(dest, name))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("connection_file")
    args = ap.parse_args()
    cfg = read_config(args.config)

    with open(args.connection_file, encoding="utf-8") as f:
        info = json.load(f)
    if info.get("transport") != "ipc":
        fail("connection file must use transport=ipc (the sandbox has no network)")
    runtime = os.path.realpath(cfg["runtimeDir"])
    kernel_dir = os.path.dirname(info["ip"])
    if os.path.dirname(os.path.realpath(kernel_dir)) != runtime:
        fail(f"ipc path {info['ip']!r} is not in the runtime folder {runtime!r}")
    kernel_id = os.path.basename(kernel_dir)

    ws_id = os.environ.get("KERNEL_WORKSPACE_ID", "")
    if not WORKSPACE_ID.match(ws_id):
        fail("KERNEL_WORKSPACE_ID must be a uuid naming the session's workspace")
    ws = os.path.join(os.path.realpath(cfg["workspacesDir"]), ws_id)
    work, data = os.path.join(ws, "work"), os.path.join(ws, "data")
    os.makedirs(work, exist_ok=True)
    os.makedirs(data, mode=0o755, exist_ok=True)

    # A fresh kernel folder each launch (an auto-restart reuses the kernel id and ipc paths).
    shutil.rmtree(kernel_dir, ignore_errors=True)
    os.makedirs(os.path.join(kernel_dir, "mpl"), mode=0o700)
    conn = os.path.join(kernel_dir, "connection.json")
    with open(conn, "w", encoding="utf-8") as f:
        json.dump(info, f)
    copy_font_cache(cfg.get("mplCacheDir"), os.path.join(kernel_dir, "mpl"))

    if not cfg["sandbox"]:
        print("lab-sandbox: WARNING: LAB_SANDBOX=off, kernel runs UNSANDBOXED with the gateway's privileges",
              file=sys.stderr, flush=True)
        os.chdir(work)
        env = kernel_env(cfg, kernel_dir)
        env["MATPLOTLIBRC"] = cfg["matplotlibrc"]
        os.execve(f"{cfg['kernelPrefix']}/bin/python", ["python", "-m", "ipykernel_launcher", "-f", conn, *KERNEL_ARGS], env)

    uid = allocate_uid(cfg)
    gid = uid
    os.chmod(conn, 0o400)
    chown_tree(kernel_dir, uid, gid)
    os.chmod(kernel_dir, 0o700)
    chown_tree(work, uid, gid)
    os.chmod(work, 0o700)
    for note in apply_limits(cfg, kernel_id):
        print(f"lab-sandbox: {note}", file=sys.stderr, flush=True)
    fds: list[int] = []
    argv = bwrap_argv(cfg, kernel_dir, work, data, conn, fds)
    for fd in fds:
        os.set_inheritable(fd, True)
    setpriv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
               "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    # A clean environment from here on: bwrap's own pid 1 keeps the env it was started with, and the
    # kernel can read /proc/1/environ. Nothing of the gateway's (KERNEL_*, JPY_*) goes past this point.
    os.execvpe("setpriv", setpriv + argv, {"PATH": "/usr/bin:/bin"})


if __name__ == "__main__":
    main()
