import { performance } from "node:perf_hooks";
import OpenAI from "openai";
import { FakeLlm } from "../test/helpers/fake-llm.js";
import { createLabClient } from "./client.js";
import { type LabServer, startLabServer } from "./lab.js";
import { percentile } from "./stats.js";

/**
 * The server's added latency per streamed token: the fake provider writes token i at t_i; we note when token i
 * reaches (a) a subscriber of the session's event stream through the whole server (SDK in the server → EventBus
 * transient fan-out → tRPC SSE → @trpc/client over HTTP), and (b) a direct consumer using the same SDK. Both in
 * this process, on one clock; interleaved runs so load affects both alike.
 */
export const LLM_PLAN = { runs: 6, tokens: 300, delayMs: 2 };

export interface LlmBenchResult {
  viaServer: number[];
  direct: number[];
}

const TEXT = (n: number) => Array.from({ length: n }, (_, i) => `t${String(i % 1000).padStart(3, "0")}`).join("");

export async function llmTokenLatency(env: Record<string, string>, say: (s: string) => void, plan = LLM_PLAN): Promise<LlmBenchResult> {
  const fake = await new FakeLlm().start();
  let lab: LabServer | null = null;
  try {
    lab = await startLabServer({ ...env, LAB_KERNEL_POOL_SIZE: "0", LAB_LLM_REQUESTS_PER_MINUTE: "0", OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: `${fake.url}/v1` }, (l) => say(`lab: ${l}`));
    const client = await lab.newUser();
    const session = await client.sessions.create.mutate({ title: "bench" });
    const sdk = new OpenAI({ apiKey: fake.apiKey, baseURL: `${fake.url}/v1`, maxRetries: 0 });
    const result: LlmBenchResult = { viaServer: [], direct: [] };
    for (let run = 0; run < plan.runs; run++) {
      say(`token latency run ${run + 1}/${plan.runs} (${plan.tokens} tokens each path)…`);
      result.direct.push(...(await direct(fake, sdk, `direct-${run}`, plan)));
      result.viaServer.push(...(await viaServer(fake, client, session.id, `server-${run}`, plan)));
    }
    return result;
  } finally {
    await lab?.close();
    await fake.close();
  }
}

async function direct(fake: FakeLlm, sdk: OpenAI, model: string, plan: typeof LLM_PLAN): Promise<number[]> {
  fake.script(model, { text: TEXT(plan.tokens), chunkChars: 4, delayMs: plan.delayMs });
  const got: number[] = [];
  const stream = await sdk.chat.completions.create({ model, messages: [{ role: "user", content: "x" }], stream: true });
  for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) got.push(performance.now());
  return latencies(fake, model, got);
}

async function viaServer(fake: FakeLlm, client: ReturnType<typeof createLabClient>, sessionId: string, model: string, plan: typeof LLM_PLAN): Promise<number[]> {
  fake.script(model, { text: TEXT(plan.tokens), chunkChars: 4, delayMs: plan.delayMs });
  const got: number[] = [];
  let started = () => {};
  const ready = new Promise<void>((r) => (started = r));
  let finish = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  let taskId: string | null = null;
  const sub = client.sessions.events.subscribe(
    { sessionId, lastEventId: null },
    {
      onStarted: () => started(),
      onData: ({ data }) => {
        if (data.type === "task.token" && data.step === "plan") got.push(performance.now());
        if (data.type === "task.done" && data.taskId === taskId) finish();
      },
    },
  );
  await ready;
  await new Promise((r) => setTimeout(r, 100)); // the server registers the listener after the stream opens
  // Strategy mode: one streamed model call and nothing executed, so only the streaming path is measured.
  taskId = (await client.llm.analysis.start.mutate({ sessionId, request: "plan", mode: "strategy", models: [`openai:${model}`] })).id;
  await finished;
  sub.unsubscribe();
  return latencies(fake, model, got);
}

function latencies(fake: FakeLlm, model: string, got: number[]): number[] {
  const sent = fake.received.find((r) => r.model === model)!.sentAt;
  if (got.length !== sent.length) throw new Error(`${model}: ${sent.length} tokens sent, ${got.length} received`);
  return got.map((t, i) => t - sent[i]!);
}

export function summariseLlm(r: LlmBenchResult) {
  const p = (xs: number[], q: number) => percentile(xs, q);
  return {
    n: r.viaServer.length,
    serverP50: p(r.viaServer, 50),
    serverP99: p(r.viaServer, 99),
    directP50: p(r.direct, 50),
    directP99: p(r.direct, 99),
    addedP50: p(r.viaServer, 50) - p(r.direct, 50),
    addedP99: p(r.viaServer, 99) - p(r.direct, 99),
  };
}
