import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";
import type { TOutput } from "../kernel/outputs.js";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export type CellStatus = "queued" | "running" | "ok" | "error" | "cancelled";
export type CellSource = "user" | "model";

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  display_name: string | null;
  created_at: Timestamp;
}

export interface AuthSessionsTable {
  id: string;
  user_id: string;
  expires_at: Timestamp;
  created_at: Timestamp;
}

export interface LoginFailuresTable {
  id: Generated<string>;
  key: string;
  at: Timestamp;
}

export interface AnalysisSessionsTable {
  id: string;
  user_id: string;
  title: string;
  workspace_id: string;
  execution_count: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Set on a branch: a hidden child session where one model of a multi-model task runs (migration 0003). */
  parent_session_id: string | null;
}

export interface CellsTable {
  id: string;
  session_id: string;
  position: number;
  source: CellSource;
  code: string;
  status: CellStatus;
  outputs: Json<TOutput[]>;
  execution_count: number | null;
  error: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  ended_at: Timestamp | null;
}

export interface KernelsTable {
  id: string;
  session_id: string | null;
  user_id: string | null;
  workspace_id: string;
  started_at: Timestamp;
  last_activity_at: Timestamp;
}

export interface SessionEventsTable {
  id: Generated<string>;
  session_id: string;
  type: string;
  payload: Json<unknown>;
  created_at: Timestamp;
}

export type DatasetFormat = "csv" | "xlsx" | "xls" | "parquet" | "json";

export interface DatasetsTable {
  id: string;
  user_id: string;
  name: string;
  sha256: string;
  /** bigint: returned as a string by both drivers. */
  size_bytes: ColumnType<string, number | string, number | string>;
  format: DatasetFormat;
  /** services/datasets-types.ts TDatasetInfo; parsed with its zod schema where read. */
  info: Json<unknown>;
  profile: ColumnType<unknown, string | null, string | null>;
  created_at: Timestamp;
}

export interface SessionDatasetsTable {
  session_id: string;
  dataset_id: string;
  file_name: string;
  attached_at: Timestamp;
}

export interface UserPreferencesTable {
  user_id: string;
  interpretation_language: string;
  plot_theme: string;
  updated_at: Timestamp;
}

export interface Database {
  user_preferences: UserPreferencesTable;
  users: UsersTable;
  auth_sessions: AuthSessionsTable;
  login_failures: LoginFailuresTable;
  analysis_sessions: AnalysisSessionsTable;
  cells: CellsTable;
  kernels: KernelsTable;
  session_events: SessionEventsTable;
  datasets: DatasetsTable;
  session_datasets: SessionDatasetsTable;
  llm_credentials: LlmCredentialsTable;
  llm_templates: LlmTemplatesTable;
  llm_tasks: LlmTasksTable;
  llm_runs: LlmRunsTable;
  llm_steps: LlmStepsTable;
  llm_usage: LlmUsageTable;
  llm_quotas: LlmQuotasTable;
}

export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<AnalysisSessionsTable>;
export type CellRow = Selectable<CellsTable>;
export type NewCell = Insertable<CellsTable>;
export type CellUpdate = Updateable<CellsTable>;
export type DatasetRow = Selectable<DatasetsTable>;

// LLM pipeline (migration 0003).
export interface LlmCredentialsTable {
  user_id: string;
  provider: string;
  /** AES-256-GCM, "v1.<iv>.<tag>.<ciphertext>" in base64url, user id as associated data. */
  api_key_enc: string | null;
  base_url: string | null;
  default_models: Json<string[]>;
  updated_at: Timestamp;
}

export interface LlmTemplatesTable {
  id: string;
  user_id: string;
  name: string;
  version: number;
  body: string;
  created_at: Timestamp;
}

export type LlmTaskStatus = "running" | "ok" | "error" | "cancelled";

export interface LlmTasksTable {
  id: string;
  session_id: string;
  user_id: string;
  request: string;
  mode: "analysis" | "strategy";
  template: string;
  template_version: string;
  status: LlmTaskStatus;
  error: string | null;
  created_at: Timestamp;
  ended_at: Timestamp | null;
}

export interface LlmRunsTable {
  id: string;
  task_id: string;
  model: string;
  runs_in: string;
  status: LlmTaskStatus;
  code: string | null;
  cell_id: string | null;
  interpretation: string | null;
  error: string | null;
  error_kind: string | null;
  created_at: Timestamp;
  ended_at: Timestamp | null;
}

export interface LlmStepsTable {
  id: Generated<string>;
  run_id: string;
  kind: "code" | "repair" | "plan" | "interpret";
  attempt: number;
  model: string;
  template: string;
  template_version: string;
  prompt: Json<unknown>;
  answer: string;
  code: string | null;
  cell_id: string | null;
  cell_status: string | null;
  tokens_in: number;
  tokens_out: number;
  latency_ms: number;
  cost_usd: number | null;
  error: string | null;
  created_at: Timestamp;
}

export interface LlmUsageTable {
  user_id: string;
  day: ColumnType<string, string, string>;
  model: string;
  requests: ColumnType<number, number | undefined, number>;
  tokens_in: ColumnType<string, number | undefined, number>;
  tokens_out: ColumnType<string, number | undefined, number>;
  cost_usd: ColumnType<number, number | undefined, number>;
}

export interface LlmQuotasTable {
  id: Generated<string>;
  user_id: string | null;
  model: string;
  tokens_per_day: ColumnType<string, number, number>;
}
