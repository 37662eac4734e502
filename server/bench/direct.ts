import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";

const ZReplySchema = z.union([
  z.object({ ready: z.literal(true) }),
  z.object({ samples: z.array(z.number()) }),
  z.object({ rssKb: z.number(), anonKb: z.number() }),
  z.object({ error: z.string() }),
]);
type TReply = z.infer<typeof ZReplySchema>;

/**
 * The baseline kernel: direct_kernel.py drives a plain local ipykernel of the same venv over ZMQ.
 * It stays up for the whole run so its blocks can be interleaved with the full-stack ones.
 */
export class DirectKernel {
  private waiters: ((r: TReply) => void)[] = [];
  private exited: Promise<void>;
  private stderr: string[] = [];

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const parsed = ZReplySchema.safeParse(JSON.parse(line));
      const reply = parsed.success ? parsed.data : { error: `unexpected reply: ${line}` };
      this.waiters.shift()?.(reply);
    });
    child.stderr!.on("data", (b: Buffer) => this.stderr.push(b.toString()));
    this.exited = new Promise((resolve) =>
      child.once("exit", () => {
        for (const w of this.waiters.splice(0)) w({ error: `direct kernel exited:\n${this.stderr.join("").slice(-2000)}` });
        resolve();
      }),
    );
  }

  static async start(kernelVenv: string): Promise<DirectKernel> {
    const script = path.join(import.meta.dirname, "direct_kernel.py");
    const child = spawn(path.join(kernelVenv, "bin", "python"), [script], { stdio: ["pipe", "pipe", "pipe"] });
    const direct = new DirectKernel(child);
    await direct.next();
    return direct;
  }

  private next(): Promise<TReply> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async send(command: string): Promise<TReply> {
    const reply = this.next();
    this.child.stdin!.write(`${command}\n`);
    const r = await reply;
    if ("error" in r) throw new Error(r.error);
    return r;
  }

  async roundTrips(n: number): Promise<number[]> {
    const r = await this.send(`roundtrip ${n}`);
    if (!("samples" in r)) throw new Error("roundtrip: no samples");
    return r.samples;
  }

  async coldStarts(n: number): Promise<number[]> {
    const r = await this.send(`cold ${n}`);
    if (!("samples" in r)) throw new Error("cold: no samples");
    return r.samples;
  }

  async rssAfter(code: string): Promise<{ rssKb: number; anonKb: number }> {
    const r = await this.send(`rss ${JSON.stringify(code)}`);
    if (!("rssKb" in r)) throw new Error("rss: no value");
    return r;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.stdin!.end("quit\n");
    const t = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(t);
  }
}
