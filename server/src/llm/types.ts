/** What every provider adapter speaks: chat messages in, a stream of text and a usage count out. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature?: number;
  signal: AbortSignal;
  /** Structured facts for the offline recipe engine (an LLM reads the same facts from the messages). */
  hints?: OfflineHints;
}

export type StreamChunk = { type: "text"; text: string } | { type: "usage"; input: number; output: number };

/** One provider protocol behind a configured client. `stream` throws LlmError (errors.ts) for every failure. */
export interface ChatProvider {
  readonly protocol: "openai" | "anthropic" | "offline";
  stream(req: ChatRequest): AsyncIterable<StreamChunk>;
}

/** A column as the offline engine sees it: enough to match request words and pick a test. */
export interface ColumnFacts {
  name: string;
  kind: "numeric" | "categorical" | "datetime" | "text";
  /** Distinct non-missing values (capped), e.g. 2 for sex. */
  distinct: number;
  missing: number;
  /** A few values, for labels (categorical only). */
  examples: string[];
}

export interface DatasetFacts {
  /** The path the kernel reads, e.g. /data/diabetes.csv. */
  path: string;
  name: string;
  /** Set when not UTF-8 (e.g. gb18030), for pd.read_csv. */
  encoding?: string;
  rows: number;
  columns: ColumnFacts[];
}

export interface OfflineHints {
  phase: "code" | "repair" | "interpret" | "plan";
  request: string;
  language: "zh" | "en";
  datasets: DatasetFacts[];
  /** A domain template's preferred recipes, in order. */
  recipes?: string[];
  /** For interpret: the outputs, summarised as text. */
  outputs?: string;
  /** For repair: the error the code raised. */
  error?: string;
}
