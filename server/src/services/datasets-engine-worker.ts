import { AppError } from "../errors.js";
import { DuckDbEngine, type EngineOptions } from "./datasets-engine.js";
import type { TEngineReply, TEngineRequest } from "./datasets-engine-process.js";

/**
 * The dataset engine process (see EngineProcess): DuckDB parses untrusted files here, away from the
 * server's secrets and heap. Options come as argv[2] (JSON); queries and replies over the IPC channel.
 */
const options = JSON.parse(process.argv[2] ?? "{}") as EngineOptions;
const send = (reply: TEngineReply) => process.send?.(reply);
const engine = DuckDbEngine.create(options);
engine.catch(() => {}); // reported per query, below

process.on("message", (msg: TEngineRequest) => {
  void (async () => {
    try {
      send({ id: msg.id, result: await (await engine).query(msg.sql) });
    } catch (err) {
      const e = err instanceof AppError ? err : new AppError("UNAVAILABLE", `The dataset engine failed: ${String(err).slice(0, 300)}`);
      send({ id: msg.id, error: { code: e.code, message: e.message } });
    }
  })();
});
// The server went away (or closed us): never outlive it.
process.on("disconnect", () => {
  void engine.then((e) => e.close()).finally(() => process.exit(0));
});
