import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamAnswer } from "../src/llm/call.js";
import { LlmError } from "../src/llm/errors.js";
import { checkBaseUrl, isPrivateAddress } from "../src/llm/net.js";
import { createProvider, type ProviderId } from "../src/llm/registry.js";
import { extractCode } from "../src/services/analysis-code.js";
import { decryptKey, encryptKey } from "../src/services/credentials.js";
import { loadPrompts, parseTemplate, render } from "../src/services/prompts.js";
import { FakeLlm } from "./helpers/fake-llm.js";
import { REPO_ROOT } from "./helpers/app.js";
import path from "node:path";

const prompts = loadPrompts(path.join(REPO_ROOT, "prompts"));
const POLICY = { timeoutMs: 10_000, idleMs: 1_500, retries: 2, backoffMs: 10 };
const ask = [{ role: "system" as const, content: "Be brief." }, { role: "user" as const, content: "Say hello" }];

let fake: FakeLlm;
beforeAll(async () => (fake = await new FakeLlm().start()));
afterAll(() => fake?.close());

/** The three wire protocols, each through its real SDK: provider id, base URL at the fake, the model name. */
const PROTOCOLS: { name: string; provider: ProviderId; base: () => string }[] = [
  { name: "OpenAI chat completions", provider: "openai", base: () => `${fake.url}/v1` },
  { name: "Gemini (OpenAI-compatible)", provider: "gemini", base: () => `${fake.url}/v1beta/openai/` },
  { name: "Anthropic messages", provider: "anthropic", base: () => fake.url },
];

function client(p: (typeof PROTOCOLS)[number], apiKey = fake.apiKey) {
  return createProvider({ provider: p.provider, apiKey, baseUrl: p.base(), untrustedUrl: false }, { recipes: prompts.recipes, addressPolicy: { allowedHosts: [] } });
}

async function answer(p: (typeof PROTOCOLS)[number], model: string, opts: { apiKey?: string; signal?: AbortSignal; onText?: (t: string) => void } = {}) {
  const pieces: string[] = [];
  const res = await streamAnswer(client(p, opts.apiKey), { model, messages: ask, maxTokens: 100 }, POLICY, opts.signal ?? new AbortController().signal, (t) => {
    pieces.push(t);
    opts.onText?.(t);
  });
  return { ...res, pieces };
}

async function failure(p: Promise<unknown>): Promise<LlmError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(LlmError);
  return err as LlmError;
}

describe.each(PROTOCOLS)("$name through its real SDK against the fake provider", (p) => {
  const m = (s: string) => `${p.provider}-${s}`;

  it("streams the answer in order, piece by piece, and reports the provider's token counts", async () => {
    fake.script(m("stream"), { text: "Hello, 你好! ```python\nprint(1)\n```", chunkChars: 3, usage: { input: 17, output: 9 } });
    const r = await answer(p, m("stream"));
    expect(r.pieces.join("")).toBe("Hello, 你好! ```python\nprint(1)\n```");
    expect(r.pieces.length).toBeGreaterThan(5);
    expect({ text: r.text, tokensIn: r.tokensIn, tokensOut: r.tokensOut, attempts: r.attempts }).toEqual({ text: r.pieces.join(""), tokensIn: 17, tokensOut: 9, attempts: 1 });
    const sent = fake.received.at(-1)!;
    expect(sent.body.stream).toBe(true);
    expect(sent.protocol).toBe(p.provider === "openai" ? "openai" : p.provider === "gemini" ? "gemini" : "anthropic");
  });

  it("retries a 429 with backoff and then succeeds; a 500 too", async () => {
    fake.script(m("retry"), { status: 429, errorType: "rate_limit_error", retryAfter: 0 }, { status: 500 }, { text: "finally" });
    const r = await answer(p, m("retry"));
    expect({ text: r.text, attempts: r.attempts }).toEqual({ text: "finally", attempts: 3 });
  });

  it("gives up after the configured retries with a retryable rate-limit error", async () => {
    fake.script(m("limited"), ...Array.from({ length: 3 }, () => ({ status: 429, errorType: "rate_limit_error" })));
    expect((await failure(answer(p, m("limited")))).toJSON()).toMatchObject({ kind: "rate_limit", status: 429, retryable: true });
    expect(fake.remaining(m("limited"))).toBe(0);
  });

  it("says plainly when the key is wrong, the model unknown, or the quota exhausted — without retrying", async () => {
    const bad = await failure(answer(p, m("any"), { apiKey: "sk-wrong" }));
    expect(bad.toJSON()).toMatchObject({ kind: "auth", status: 401, retryable: false });
    expect(bad.message).toMatch(/refused the API key/);
    expect(bad.message).not.toContain("sk-wrong");
    expect((await failure(answer(p, m("nobody-scripted-this")))).toJSON()).toMatchObject({ kind: "model_not_found", status: 404, retryable: false });
    fake.script(m("broke"), { status: 429, errorType: "insufficient_quota", errorMessage: "You exceeded your current quota, please check your plan and billing details." });
    expect((await failure(answer(p, m("broke")))).toJSON()).toMatchObject({ kind: "quota", status: 429, retryable: false });
  });

  it("times out a stream that goes silent, and reports a malformed one", async () => {
    fake.script(m("stall"), ...Array.from({ length: 3 }, () => ({ text: "abcdefgh", stallAfter: 0 })));
    expect((await failure(answer(p, m("stall")))).kind).toBe("timeout");
    fake.script(m("garbage"), { text: "abcdefgh", malformed: true });
    expect((await failure(answer(p, m("garbage")))).kind).toBe("malformed");
  }, 20_000);

  it("cancels mid-stream: the provider's connection is closed and nothing is retried", async () => {
    fake.script(m("cancel"), { text: "one two three four five six", chunkChars: 4, stallAfter: 2 });
    const ctl = new AbortController();
    const e = await failure(answer(p, m("cancel"), { signal: ctl.signal, onText: () => ctl.abort() }));
    expect(e.kind).toBe("cancelled");
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.received.at(-1)!.closedByClient).toBe(true);
  });
});

describe("errors that are not the provider's answer", () => {
  it("reports an unreachable provider as unreachable (after its retries)", async () => {
    const p = { name: "closed", provider: "openai" as const, base: () => "http://127.0.0.1:9/v1" };
    expect((await failure(answer(p, "x"))).toJSON()).toMatchObject({ kind: "unreachable", retryable: true });
  });
});

describe("code extraction from varied answer shapes", () => {
  it.for([
    ["one python block", "Here:\n```python\nprint(1)\n```\nDone.", "print(1)\n"],
    ["py and unlabelled blocks joined, bash skipped", "```bash\npip install x\n```\n```py\na = 1\n```\ntext\n```\nprint(a)\n```", "a = 1\n\nprint(a)\n"],
    ["a tilde fence", "~~~python\nx = 2\n~~~", "x = 2\n"],
    ["an answer cut off inside a fence", "Sure.\n```python\nimport pandas as pd\ndf = pd.read_csv('/data/a.csv')", "import pandas as pd\ndf = pd.read_csv('/data/a.csv')\n"],
    ["bare code", "import numpy as np\nx = np.arange(3)\nprint(x)", "import numpy as np\nx = np.arange(3)\nprint(x)\n"],
    ["prose only", "I cannot see the data, please upload it.", null],
    ["JSON only", "```json\n{\"a\": 1}\n```", null],
  ] as const)("%s", ([, answerText, expected]) => {
    expect(extractCode(answerText)).toBe(expected);
  });
});

describe("SSRF: user base URLs", () => {
  it.for(["http://127.0.0.1:8080/v1", "http://10.1.2.3/v1", "http://169.254.169.254/latest", "http://[::1]:11434", "http://[::ffff:127.0.0.1]/", "http://2130706433/", "http://localhost:11434/v1", "http://192.168.1.5/v1", "http://0.0.0.0/"])(
    "refuses %s",
    async (url) => {
      expect((await failure(checkBaseUrl(url, { allowedHosts: [] }))).kind).toBe("refused_address");
    },
  );

  it("allows a private address an admin listed, by address, host or CIDR", async () => {
    expect(await checkBaseUrl("http://127.0.0.1:11434/v1/", { allowedHosts: ["127.0.0.1"] })).toBe("http://127.0.0.1:11434/v1");
    expect(await checkBaseUrl("http://10.2.3.4/v1", { allowedHosts: ["10.0.0.0/8"] })).toBe("http://10.2.3.4/v1");
    expect(await checkBaseUrl("http://localhost:1/v1", { allowedHosts: ["localhost"] })).toBe("http://localhost:1/v1");
  });

  it("refuses non-http schemes and URLs with credentials", async () => {
    expect((await failure(checkBaseUrl("file:///etc/passwd", { allowedHosts: [] }))).kind).toBe("bad_request");
    expect((await failure(checkBaseUrl("https://user:pw@example.org/v1", { allowedHosts: [] }))).kind).toBe("bad_request");
  });

  it("checks the address actually dialled: a name resolving to loopback is refused at connect time through the SDK", async () => {
    const guarded = createProvider({ provider: "openai", apiKey: fake.apiKey, baseUrl: `${fake.url.replace("127.0.0.1", "localhost")}/v1`, untrustedUrl: true }, { recipes: prompts.recipes, addressPolicy: { allowedHosts: [] } });
    const before = fake.received.length;
    const e = await failure(streamAnswer(guarded, { model: "x", messages: ask, maxTokens: 10 }, { ...POLICY, retries: 0 }, new AbortController().signal, () => {}));
    expect(e.kind).toBe("refused_address");
    expect(fake.received.length).toBe(before);
  });

  it("knows the private ranges", () => {
    expect(["127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.169.254", "::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1", "100.64.0.1"].map(isPrivateAddress)).toEqual(Array(10).fill(true));
    expect(["8.8.8.8", "1.1.1.1", "2606:4700::1111"].map(isPrivateAddress)).toEqual([false, false, false]);
  });
});

describe("credential encryption", () => {
  const secret = Buffer.alloc(32, 7);
  it("round-trips, and the ciphertext holds no trace of the key", () => {
    const enc = encryptKey(secret, "user-a", "openai", "sk-live-abcdef123456");
    expect(enc).not.toContain("sk-live");
    expect(enc).not.toBe(encryptKey(secret, "user-a", "openai", "sk-live-abcdef123456")); // fresh IV each time
    expect(decryptKey(secret, "user-a", "openai", enc)).toBe("sk-live-abcdef123456");
  });
  it("is bound to its user and provider, and to the server's secret", () => {
    const enc = encryptKey(secret, "user-a", "openai", "sk-live-abcdef123456");
    expect(() => decryptKey(secret, "user-b", "openai", enc)).toThrow(/cannot be decrypted/);
    expect(() => decryptKey(secret, "user-a", "deepseek", enc)).toThrow(/cannot be decrypted/);
    expect(() => decryptKey(Buffer.alloc(32, 8), "user-a", "openai", enc)).toThrow(/cannot be decrypted/);
    const [v, iv, tag, ct] = enc.split(".");
    const flipped = Buffer.from(ct!, "base64url");
    flipped[0]! ^= 1;
    expect(() => decryptKey(secret, "user-a", "openai", [v, iv, tag, flipped.toString("base64url")].join("."))).toThrow(/cannot be decrypted/);
  });
});

describe("prompt templates", () => {
  it("loads every built-in template and recipe through the schema", () => {
    expect([...prompts.templates.keys()].sort()).toEqual(["analysis-strategy", "clinical-table", "data-analysis", "differential-expression", "lab-cleaning", "report-writing"]);
    expect(prompts.templates.get("analysis-strategy")!.mode).toBe("strategy");
    expect(prompts.recipes.recipes.map((r) => r.id)).toEqual(expect.arrayContaining(["describe", "missing", "distribution", "group-compare", "chi-square", "correlation", "linear-regression", "logistic-regression", "kaplan-meier", "cox", "volcano", "pca", "clinical-table", "outliers", "report"]));
  });
  it("throws on a variable that is not supplied, instead of rendering an empty string", () => {
    expect(() => render("Data: {{datasets}}", { request: "x" }, "t.system")).toThrow("Prompt template t.system uses {{datasets}}, which is not supplied");
    expect(render("Q: {{ request }}", { request: "x" }, "t")).toBe("Q: x");
  });
  it("refuses a user's template that names an unknown variable or misses a part", () => {
    const base = "name: mine\nmode: analysis\ntitle: {en: A, zh: 甲}\nsystem: 'S {{datasets}}'\nuser: '{{request}}'\nrepair: '{{error}}'\n";
    expect(() => parseTemplate(`${base}interpret: '{{secrets}}'\n`, "template")).toThrow(/interpret uses \{\{secrets\}\}/);
    expect(() => parseTemplate(base, "template")).toThrow(/needs repair and interpret/);
    expect(parseTemplate(`${base}interpret: '{{outputs}}'\n`, "template").name).toBe("mine");
  });
});
