"use client";
import { assertNever } from "@/lib/assert-never";
import { useT } from "@/lib/i18n";
import { type RenderMime, mimeText, pickMime, unrenderedMimes } from "../lib/mime";
import type { Output } from "../lib/types";
import { AnsiText } from "./ansi-text";
import { Markdown } from "./markdown";
import { PlotlyOutput } from "./plotly-output";
import { SandboxedFrame } from "./sandboxed-frame";

/** A cell's outputs, rendered as JupyterLab renders them. */
export function OutputArea({ outputs }: { outputs: Output[] }) {
  if (outputs.length === 0) return null;
  return (
    <div className="space-y-1 py-1" data-testid="outputs">
      {outputs.map((o, i) => (
        <OutputView key={i} output={o} />
      ))}
    </div>
  );
}

function OutputView({ output }: { output: Output }) {
  switch (output.output_type) {
    case "stream":
      return <AnsiText text={output.text} tone={output.name === "stderr" ? "stderr" : "plain"} />;
    case "error":
      return <AnsiText text={output.traceback.length ? output.traceback.join("\n") : `${output.ename}: ${output.evalue}`} tone="error" />;
    case "display_data":
    case "execute_result":
      return <MimeBundle data={output.data} metadata={output.metadata} />;
    default:
      return assertNever(output, "output type");
  }
}

function MimeBundle({ data, metadata }: { data: Record<string, unknown>; metadata: Record<string, unknown> }) {
  const t = useT();
  const picked = pickMime(data);
  if (!picked) {
    const skipped = unrenderedMimes(data);
    return <p className="px-3 py-1 text-xs text-slate-500">{t("output.notRendered", { types: skipped.join(", ") || "—" })}</p>;
  }
  return <MimeView mime={picked.mime} value={picked.value} metadata={metadata[picked.mime]} />;
}

function MimeView({ mime, value, metadata }: { mime: RenderMime; value: unknown; metadata: unknown }) {
  const t = useT();
  const text = mimeText(value);
  switch (mime) {
    case "application/vnd.plotly.v1+json":
      return <PlotlyOutput value={value} />;
    case "text/html":
    case "image/svg+xml":
      return <SandboxedFrame html={text ?? ""} title={t("output.frameTitle")} />;
    case "image/png":
    case "image/jpeg":
    case "image/gif":
      return <ImageOutput mime={mime} base64={text ?? ""} metadata={metadata} alt={t("output.image")} />;
    case "text/markdown":
      return <Markdown source={text ?? ""} />;
    case "text/latex":
    case "text/plain":
      return <AnsiText text={text ?? ""} />;
    case "application/json":
      return <pre className="overflow-x-auto px-3 py-1.5 font-mono text-xs text-slate-800">{JSON.stringify(value, null, 2)}</pre>;
    default:
      return assertNever(mime, "mime type");
  }
}

function ImageOutput({ mime, base64, metadata, alt }: { mime: string; base64: string; metadata: unknown; alt: string }) {
  // IPython puts the intended display size in the output's metadata (retina figures are drawn at 2×).
  const size = typeof metadata === "object" && metadata !== null ? (metadata as { width?: unknown; height?: unknown }) : {};
  const width = typeof size.width === "number" ? size.width : undefined;
  return (
    <div className="px-3 py-1">
      {/* eslint-disable-next-line @next/next/no-img-element -- a data: URL from the kernel, nothing to optimise */}
      <img src={`data:${mime};base64,${base64.replace(/\s/g, "")}`} alt={alt} width={width} className="max-w-full h-auto" data-output="image" />
    </div>
  );
}
