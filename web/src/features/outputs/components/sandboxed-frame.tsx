"use client";
import { useEffect, useMemo, useRef, useState } from "react";
import { frameDocument, withoutMetaDirectives } from "../lib/frame-doc";

/** Taller outputs scroll inside their frame rather than push the notebook around. */
const MAX_HEIGHT = 1200;

/**
 * HTML and SVG outputs render here: sandbox="allow-scripts" WITHOUT allow-same-origin (as nteract does),
 * so the frame's origin is opaque — no cookies, no same-origin requests, no access to this page, no
 * navigation of the app, no popups, no forms.
 */
export function SandboxedFrame({ html, title }: { html: string; title: string }) {
  const ref = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState(40);
  const doc = useMemo(() => (typeof location === "undefined" ? "" : frameDocument(withoutMetaDirectives(html), location.origin)), [html]);
  // A frame that loads a second time was navigated away from its output (a link it was given, say):
  // put the output back rather than show whatever it navigated to.
  const loads = useRef(0);
  const [generation, setGeneration] = useState(0);
  const onLoad = () => {
    loads.current += 1;
    if (loads.current > 1) {
      loads.current = 0;
      setGeneration((g) => g + 1);
    }
  };

  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      // Only our frame's window, and only a number: anything the frame says is untrusted.
      if (e.source !== ref.current?.contentWindow) return;
      const data: unknown = e.data;
      if (typeof data !== "object" || data === null || !("height" in data)) return;
      const h = Number(data.height);
      if (Number.isFinite(h) && h >= 0) setHeight(Math.min(Math.ceil(h) + 2, MAX_HEIGHT));
    };
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, []);

  return (
    <iframe
      key={generation}
      ref={ref}
      onLoad={onLoad}
      title={title}
      sandbox="allow-scripts"
      srcDoc={doc}
      referrerPolicy="no-referrer"
      data-output-frame=""
      className="block w-full border-0 bg-transparent"
      style={{ height }}
    />
  );
}
