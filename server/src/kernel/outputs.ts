import { z } from "zod";
import { withoutNul } from "../db/json.js";

/**
 * The one output model: nbformat v4 outputs, exactly as stored in cells.outputs, streamed to clients and
 * written to .ipynb. Every MIME type is kept as the kernel sent it (text/html, image/png, plotly JSON…).
 * https://nbformat.readthedocs.io/en/latest/format_description.html#code-cell-outputs
 */
const ZMimeBundleSchema = z.record(z.string(), z.unknown());
const ZMetadataSchema = z.record(z.string(), z.unknown());

export const ZOutputSchema = z.discriminatedUnion("output_type", [
  z.object({ output_type: z.literal("stream"), name: z.enum(["stdout", "stderr"]), text: z.string() }),
  z.object({ output_type: z.literal("display_data"), data: ZMimeBundleSchema, metadata: ZMetadataSchema }),
  z.object({
    output_type: z.literal("execute_result"),
    execution_count: z.number().int().nullable(),
    data: ZMimeBundleSchema,
    metadata: ZMetadataSchema,
  }),
  z.object({ output_type: z.literal("error"), ename: z.string(), evalue: z.string(), traceback: z.array(z.string()) }),
]);
export type TOutput = z.infer<typeof ZOutputSchema>;
export type TStreamOutput = Extract<TOutput, { output_type: "stream" }>;

/** What changed in a cell's outputs; the event stream carries these so clients apply them in order. */
export type OutputChange =
  | { kind: "set"; index: number; output: TOutput }
  | { kind: "append"; index: number; name: "stdout" | "stderr"; text: string }
  | { kind: "clear" };

export const TRUNCATION_MARKER = "[output truncated]";

const size = (o: TOutput) => Buffer.byteLength(JSON.stringify(o));

/**
 * Applies kernel output to a cell's output list under a byte cap. Past the cap, output is dropped and
 * one visible stderr marker says how much; the kernel keeps running.
 */
export class OutputCollector {
  readonly outputs: TOutput[] = [];
  private readonly displayIds = new Map<string, number[]>();
  private bytes = 0;
  private dropped = 0;
  private markerIndex = -1;
  private clearPending = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onChange: (c: OutputChange) => void,
  ) {}

  get truncated(): boolean {
    return this.markerIndex >= 0;
  }

  add(raw: TOutput, displayId?: string): void {
    const output = withoutNul(raw);
    this.applyPendingClear();
    const last = this.outputs.at(-1);
    if (output.output_type === "stream" && last?.output_type === "stream" && last.name === output.name && !this.truncated) {
      // Consecutive prints to one stream are one output, as in JupyterLab and nbformat files.
      const { kept, rest } = this.cut(output.text);
      if (kept) {
        last.text += kept;
        this.onChange({ kind: "append", index: this.outputs.length - 1, name: output.name, text: kept });
      }
      if (rest) this.drop(rest);
      return;
    }
    const n = size(output);
    if (this.truncated || this.bytes + n > this.maxBytes) {
      if (output.output_type === "stream" && !this.truncated) {
        const { kept, rest } = this.cut(output.text);
        if (kept) this.push({ ...output, text: kept });
        if (rest) this.drop(rest);
      } else {
        this.drop(n);
      }
      return;
    }
    this.bytes += n;
    const index = this.push(output);
    if (displayId) this.displayIds.set(displayId, [...(this.displayIds.get(displayId) ?? []), index]);
  }

  /** update_display_data: replace every output that carries this display id (folded, as .ipynb has no updates). */
  update(displayId: string, rawData: Record<string, unknown>, rawMetadata: Record<string, unknown>): void {
    const data = withoutNul(rawData);
    const metadata = withoutNul(rawMetadata);
    for (const index of this.displayIds.get(displayId) ?? []) {
      const prev = this.outputs[index];
      if (!prev || (prev.output_type !== "display_data" && prev.output_type !== "execute_result")) continue;
      const next = { ...prev, data, metadata };
      const delta = size(next) - size(prev);
      if (this.bytes + delta > this.maxBytes) {
        this.drop(size(next));
        continue;
      }
      this.bytes += delta;
      this.outputs[index] = next;
      this.onChange({ kind: "set", index, output: next });
    }
  }

  /** clear_output: with wait=true the clear happens when the next output arrives (no flicker). */
  clear(wait: boolean): void {
    if (wait) {
      this.clearPending = true;
      return;
    }
    this.outputs.length = 0;
    this.displayIds.clear();
    this.bytes = 0;
    this.markerIndex = -1;
    this.dropped = 0;
    this.onChange({ kind: "clear" });
  }

  private applyPendingClear(): void {
    if (this.clearPending) {
      this.clearPending = false;
      this.clear(false);
    }
  }

  /** Splits `text` into the part that still fits (counted in) and the number of bytes that do not. */
  private cut(text: string): { kept: string; rest: number } {
    const n = Buffer.byteLength(text);
    if (this.truncated) return { kept: "", rest: n };
    const room = Math.max(0, this.maxBytes - this.bytes);
    // Cutting mid-character leaves U+FFFD: drop it rather than store a broken character.
    const kept = n <= room ? text : Buffer.from(text).subarray(0, room).toString("utf8").replace(/\uFFFD$/, "");
    const keptBytes = Buffer.byteLength(kept);
    this.bytes += keptBytes;
    return { kept, rest: n - keptBytes };
  }

  private drop(n: number): void {
    this.dropped += n;
    const marker: TOutput = {
      output_type: "stream",
      name: "stderr",
      text: `\n${TRUNCATION_MARKER} This cell's output exceeded ${this.maxBytes.toLocaleString("en")} bytes; ` +
        `${this.dropped.toLocaleString("en")} more bytes were not kept.\n`,
    };
    if (this.markerIndex < 0) {
      this.markerIndex = this.push(marker);
    } else {
      this.outputs[this.markerIndex] = marker;
      this.onChange({ kind: "set", index: this.markerIndex, output: marker });
    }
  }

  private push(output: TOutput): number {
    this.outputs.push(output);
    const index = this.outputs.length - 1;
    this.onChange({ kind: "set", index, output });
    return index;
  }
}
