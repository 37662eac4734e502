import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { OutputArea } from "./output-area";

describe("OutputArea", () => {
  it("puts HTML in a frame sandboxed without allow-same-origin, never into the page", () => {
    const hostile = '<img src=x onerror="fetch(\'/trpc/sessions.list\')"><style>body{display:none}</style>';
    const { container } = render(<OutputArea outputs={[{ output_type: "display_data", data: { "text/html": hostile }, metadata: {} }]} />);
    const frame = container.querySelector("iframe")!;
    expect(frame.getAttribute("sandbox")).toBe("allow-scripts");
    expect(frame.getAttribute("srcdoc")).toContain(hostile);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("style")).toBeNull();
  });

  it("renders SVG in a frame too, and PNG as an image", () => {
    const { container } = render(
      <OutputArea
        outputs={[
          { output_type: "display_data", data: { "image/svg+xml": "<svg onload=alert(1)></svg>" }, metadata: {} },
          { output_type: "display_data", data: { "image/png": "iVBORw0KGgo=\n" }, metadata: { "image/png": { width: 320 } } },
        ]}
      />,
    );
    expect(container.querySelectorAll("iframe")).toHaveLength(1);
    expect(container.querySelector("svg[onload]")).toBeNull();
    const img = container.querySelector("img[data-output=image]")!;
    expect([img.getAttribute("src"), img.getAttribute("width")]).toEqual(["data:image/png;base64,iVBORw0KGgo=", "320"]);
  });

  it("shows ANSI tracebacks as escaped, coloured text", () => {
    render(<OutputArea outputs={[{ output_type: "error", ename: "ValueError", evalue: "<b>x</b>", traceback: ["\u001b[31mValueError\u001b[0m: <b>x</b>"] }]} />);
    const red = screen.getByText("ValueError");
    expect(red.className).toContain("ansi-red-fg");
    expect(document.querySelector("b")).toBeNull();
    expect(screen.getByText(/<b>x<\/b>/)).toBeTruthy();
  });

  it("does not run application/javascript", () => {
    render(<OutputArea outputs={[{ output_type: "display_data", data: { "application/javascript": "window.ran = 1" }, metadata: {} }]} />);
    expect((window as { ran?: number }).ran).toBeUndefined();
    expect(screen.getByText(/application\/javascript/)).toBeTruthy();
  });
});
