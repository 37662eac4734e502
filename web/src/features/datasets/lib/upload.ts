import type { RouterOutputs } from "@/lib/trpc";

export type Dataset = RouterOutputs["datasets"]["get"];
export interface UploadResult {
  dataset: Dataset;
  deduplicated: boolean;
}

export class UploadError extends Error {}
export class UploadCancelled extends Error {}

/**
 * POST /api/datasets with the file as the raw body (the server streams it to disk). XHR rather than
 * fetch: only XHR reports upload progress. Errors carry the server's message (tRPC's error shape).
 */
export function uploadDataset(file: Blob, name: string, opts: { onProgress?: (fraction: number) => void; signal?: AbortSignal } = {}): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/datasets?name=${encodeURIComponent(name)}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => e.lengthComputable && opts.onProgress?.(e.loaded / e.total);
    xhr.onload = () => {
      const body: unknown = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300 && isResult(body)) return resolve(body);
      reject(new UploadError(serverMessage(body) ?? `Upload failed (HTTP ${xhr.status})`));
    };
    xhr.onerror = () => reject(new UploadError("network"));
    xhr.onabort = () => reject(new UploadCancelled("cancelled"));
    opts.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

function isResult(body: unknown): body is UploadResult {
  return typeof body === "object" && body !== null && "dataset" in body && typeof (body as { dataset: unknown }).dataset === "object";
}

function serverMessage(body: unknown): string | null {
  if (typeof body !== "object" || body === null || !("error" in body)) return null;
  const err = (body as { error: unknown }).error;
  return typeof err === "object" && err !== null && "message" in err && typeof err.message === "string" ? err.message : null;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
