import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRUNCATION_MARKER } from "../src/kernel/outputs.js";
import { REPO_ROOT, type TestCaller } from "./helpers/app.js";
import { type Lab, run, startLab, text } from "./helpers/lab.js";

/**
 * ../shared/SECURITY.md, sandbox rows: the kernel is the attacker. Every case goes through the product's API
 * as user "mallory", while user "alice" has her own session and kernel, which must still answer afterwards.
 */
const SECRET = "sk-lab-test-0123456789abcdef";

describe("the kernel sandbox", () => {
  let lab: Lab;
  let mallory: TestCaller;
  let alice: TestCaller;
  let m: string; // mallory's session
  let a: string; // alice's session

  const json = async (code: string) => JSON.parse(text(await run(mallory, m, code)).trim().split("\n").at(-1)!);
  const pythonHome = async () => String(await json("import sys, json\nprint(json.dumps(sys.base_prefix))"));
  const aliceAnswers = async () => expect(text(await run(alice, a, "print(secret_of_alice)"))).toBe("alice-42\n");

  beforeAll(async () => {
    // Secrets in the server's own environment: none may reach a kernel.
    process.env.OPENAI_API_KEY = SECRET;
    process.env.DATABASE_URL = `postgres://lab:${SECRET}@127.0.0.1:5432/test`;
    lab = await startLab("pglite", {
      LAB_KERNEL_MEMORY_MB: "768",
      LAB_KERNEL_MAX_PROCS: "64",
      LAB_CELL_TIMEOUT_SECONDS: "8",
      LAB_CELL_OUTPUT_MAX_BYTES: "500000",
      LAB_KERNELS_PER_USER: "3",
    });
    mallory = await lab.user();
    alice = await lab.user();
    m = (await mallory.caller.sessions.create({ title: "attack" })).id;
    a = (await alice.caller.sessions.create({ title: "victim" })).id;
    await run(alice, a, "secret_of_alice = 'alice-42'\nopen('alice_private.txt', 'w').write('alice-data')");
  });
  afterAll(async () => {
    delete process.env.OPENAI_API_KEY;
    delete process.env.DATABASE_URL;
    await lab?.close();
  });

  describe("secrets and files", () => {
    it("gives the kernel an environment without keys, database URL or gateway token", async () => {
      const token = (lab.app.services.gateway as unknown as { settings: { token: string } }).settings.token;
      const seen = await json(
        "import os, json\n" +
          "def rd(p):\n    try: return open(p, 'rb').read().decode('latin1')\n    except Exception as e: return type(e).__name__\n" +
          "print(json.dumps({'env': dict(os.environ), 'self': rd('/proc/self/environ'), 'one': rd('/proc/1/environ')}))",
      );
      const all = JSON.stringify(seen);
      for (const leak of [SECRET, token, "DATABASE_URL", "EG_AUTH_TOKEN", "GATEWAY_TOKEN", "KERNEL_", "JUPYTER_"]) {
        expect(all).not.toContain(leak);
      }
      expect(Object.keys(seen.env).sort()).toEqual(expect.arrayContaining(["HOME", "PATH"]));
    });

    it("has no /etc/shadow, no repository, no server state, no other workspace", async () => {
      const { home, paths: p } = lab.app.config;
      const paths = ["/etc/shadow", path.join(REPO_ROOT, "server/src"), path.join(REPO_ROOT, ".git"), path.join(home, "pglite"), p.workspaces, path.join(home, "logs")];
      const seen = await json(`import os, json\nprint(json.dumps({p: os.path.exists(p) for p in ${JSON.stringify(paths)}}))`);
      expect(seen).toEqual(Object.fromEntries(paths.map((x) => [x, false])));
      // The interpreter and the kernel venv are bound at their own paths, so their top folders show, holding only them.
      const top = (x: string) => x.split("/")[1]!;
      const allowed = new Set(["bin", "data", "dev", "etc", "lib", "lib64", "opt", "proc", "sbin", "tmp", "usr", "workspace", top(p.kernelVenv)]);
      const root: string[] = await json("import os, json, sys\nprint(json.dumps(sorted(os.listdir('/'))))");
      for (const d of root) expect(allowed.has(d) || d === top(await pythonHome())).toBe(true);
      expect(await json(`import os, json\nprint(json.dumps(sorted(os.listdir(${JSON.stringify(path.join(REPO_ROOT, ".venvs"))}))))`)).toEqual(["kernel"]);
    });

    it("cannot find another user's files, even by walking the whole filesystem", async () => {
      const found = await json(
        "import os, json\nhits = []\nfor root, dirs, files in os.walk('/'):\n" +
          "    dirs[:] = [d for d in dirs if os.path.join(root, d) not in ('/proc', '/sys', '/usr', '/dev')]\n" +
          "    hits += [os.path.join(root, f) for f in files if 'alice' in f]\nprint(json.dumps(hits))",
      );
      expect(found).toEqual([]);
      await aliceAnswers();
    });

    it("cannot see another kernel's connection file or sockets", async () => {
      const [mine, runtime] = await json("import os, json\nfrom ipykernel.kernelapp import IPKernelApp\nd = os.path.dirname(IPKernelApp.instance().connection_file)\nprint(json.dumps([os.path.basename(d), sorted(os.listdir(os.path.dirname(d)))]))");
      expect(runtime).toEqual([mine]); // the runtime folder holds only this kernel's own folder
      await aliceAnswers();
    });

    it("runs unprivileged: not root, no capabilities, no_new_privs", async () => {
      const s = await json(
        "import os, json\nst = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)\n" +
          "print(json.dumps({'uid': os.getuid(), 'euid': os.geteuid(), 'CapEff': st['CapEff'], 'CapPrm': st['CapPrm'], 'CapBnd': st['CapBnd'], 'NoNewPrivs': st['NoNewPrivs']}))",
      );
      expect(s).toEqual({ uid: 1000, euid: 1000, CapEff: "0000000000000000", CapPrm: "0000000000000000", CapBnd: "0000000000000000", NoNewPrivs: "1" });
    });

    it("sees only its own processes", async () => {
      const cmdlines: string[] = await json(
        "import os, json\nout = []\nfor p in os.listdir('/proc'):\n    if p.isdigit():\n" +
          "        try: out.append(open(f'/proc/{p}/cmdline', 'rb').read().replace(b'\\0', b' ').decode())\n        except OSError: pass\nprint(json.dumps(out))",
      );
      expect(cmdlines.length).toBeLessThanOrEqual(4);
      for (const c of cmdlines) expect(c).toMatch(/^(bwrap|\S*python\S* -m ipykernel_launcher)/);
    });
  });

  describe("network", () => {
    it("cannot connect to Postgres, the gateway, or a server on the host", async () => {
      const host = net.createServer((s) => s.end("reached")).listen(0, "127.0.0.1");
      await new Promise((r) => host.once("listening", r));
      const gwPort = Number(new URL((lab.app.services.gateway as unknown as { settings: { baseUrl: string } }).settings.baseUrl).port);
      const ports = [5432, gwPort, (host.address() as net.AddressInfo).port];
      const seen = await json(
        "import socket, json\nres = {}\nfor p in " + JSON.stringify(ports) + ":\n" +
          "    try:\n        socket.create_connection(('127.0.0.1', p), timeout=3); res[p] = 'connected'\n" +
          "    except OSError as e: res[p] = type(e).__name__\nprint(json.dumps(res))",
      );
      host.close();
      expect(Object.values(seen)).toEqual(["ConnectionRefusedError", "ConnectionRefusedError", "ConnectionRefusedError"]);
    });

    it("fails fast on metadata addresses, internet hosts, DNS, pip install and HTTP clients", async () => {
      const t0 = Date.now();
      const seen = await json(
        [
          "import socket, json, subprocess, sys, urllib.request",
          "res = {}",
          "for name, addr in [('metadata', ('169.254.169.254', 80)), ('internet', ('1.1.1.1', 443))]:",
          "    try:\n        socket.create_connection(addr, timeout=3); res[name] = 'connected'\n    except OSError as e: res[name] = type(e).__name__",
          "try:\n    socket.getaddrinfo('pypi.org', 443); res['dns'] = 'resolved'\nexcept OSError as e: res['dns'] = type(e).__name__",
          "try:\n    urllib.request.urlopen('http://example.com', timeout=3); res['http'] = 'fetched'\nexcept Exception as e: res['http'] = type(e).__name__",
          "p = subprocess.run([sys.executable, '-m', 'pip', 'install', 'requests'], capture_output=True, text=True, timeout=60)",
          "res['pip'] = p.returncode",
          "print(json.dumps(res))",
        ].join("\n"),
      );
      expect(seen.metadata).toMatch(/^(OSError|TimeoutError|ConnectionRefusedError)$/);
      expect(seen.internet).toMatch(/^(OSError|TimeoutError|ConnectionRefusedError)$/);
      expect(seen.dns).toBe("gaierror");
      expect(seen.http).toBe("URLError");
      expect(seen.pip).not.toBe(0);
      expect(Date.now() - t0).toBeLessThan(45_000); // fails, not hangs
    });

    it("can bind a listening socket that nothing outside can reach", async () => {
      const port = Number(text(await run(mallory, m, "import socket\nsrv = socket.socket(); srv.bind(('0.0.0.0', 0)); srv.listen(); print(srv.getsockname()[1])")).trim());
      const outcome = await new Promise<string>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => resolve("connected"));
        s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
      });
      expect(outcome).toBe("ECONNREFUSED");
    });
  });

  describe("resources", () => {
    it("keeps other users' trivial cells answering while a kernel spins on all cores", async () => {
      const spin = mallory.caller.sessions.run({
        sessionId: m,
        code: "import multiprocessing as mp, time\ndef burn():\n    t = time.time()\n    while time.time() - t < 5: pass\nps = [mp.Process(target=burn) for _ in range(4)]\n[p.start() for p in ps]; [p.join() for p in ps]\nprint('spun')",
      });
      await new Promise((r) => setTimeout(r, 500));
      const latencies: number[] = [];
      for (let i = 0; i < 8; i++) {
        const t = performance.now();
        expect(text(await run(alice, a, "print(1 + 1)"))).toBe("2\n");
        latencies.push(performance.now() - t);
      }
      latencies.sort((x, y) => x - y);
      console.log(`alice's trivial cells during mallory's busy loop: p50 ${latencies[4]!.toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms`);
      await spin;
    });

    it("stops a fork bomb at the process limit; the host and other kernels are fine", async () => {
      const out = text(
        await run(
          mallory,
          m,
          "import os, time\npids = []\ntry:\n    for i in range(10000):\n        pid = os.fork()\n        if pid == 0:\n            time.sleep(20); os._exit(0)\n        pids.append(pid)\n" +
            "except OSError as e:\n    print('limited', len(pids) < 64, e.errno)\nfinally:\n    for p in pids: os.kill(p, 9)\n    for p in pids: os.waitpid(p, 0)",
        ),
      );
      expect(out).toMatch(/^limited True 11\n$/); // EAGAIN
      await aliceAnswers();
    });

    it("kills only the kernel that allocates 10 GB; the cell says so and the session continues", async () => {
      const cell = await run(mallory, m, "x = b'x' * (10 * 1024**3)");
      expect(cell.status).toBe("error");
      // cgroup memory limit: the kernel is OOM-killed; rlimit fallback: MemoryError. Either way, bounded.
      expect(cell.error).toMatch(/^(The kernel died while running this cell|MemoryError)/);
      expect(text(await run(mallory, m, "print('fresh')"))).toBe("fresh\n");
      const history = await mallory.caller.sessions.get({ sessionId: m });
      expect(history.cells.some((c) => c.id === cell.id && c.status === "error")).toBe(true);
      await aliceAnswers();
    });

    it("truncates one huge string and endless printing, keeping the server's memory bounded", async () => {
      const before = process.memoryUsage().rss;
      const huge = await run(mallory, m, "s = 'x' * (60 * 1024**2)\nprint(s)\ndel s");
      expect(text(huge)).toContain(TRUNCATION_MARKER);
      const endless = await run(mallory, m, "i = 0\nwhile True:\n    print('row', i); i += 1");
      expect(endless.error).toMatch(/^Time limit/);
      expect(text(endless)).toContain(TRUNCATION_MARKER);
      // A tight write loop outruns ipykernel's flush thread and fills the kernel's own memory: it may die
      // (its cgroup limit) or hit the time limit. Either is bounded, reported, and leaves the server alone.
      const flood = await run(mallory, m, "import sys\nwhile True:\n    sys.stdout.write('spam ' * 1000)");
      expect(flood.error).toMatch(/^(Time limit|The kernel died)/);
      const growthMb = (process.memoryUsage().rss - before) / 2 ** 20;
      console.log(`server RSS growth across a 60 MB print and an endless print: ${growthMb.toFixed(0)} MB`);
      expect(growthMb).toBeLessThan(150);
      await aliceAnswers();
    });

    it("caps HTML outputs by size too (a 10^5-row HTML table)", async () => {
      const cell = await run(mallory, m, "import pandas as pd\nfrom IPython.display import HTML\nHTML(pd.DataFrame({'a': range(10**5)}).to_html())");
      expect(Buffer.byteLength(JSON.stringify(cell.outputs))).toBeLessThan(1_200_000);
      expect(text(cell)).toContain(TRUNCATION_MARKER);
    });
  });
});
