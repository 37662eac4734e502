import { describe, expect, it } from "vitest";
import { mimeText, pickMime, unrenderedMimes } from "./mime";

describe("pickMime", () => {
  it("prefers Plotly's JSON over the HTML plotly sends beside it, and HTML over plain text", () => {
    expect(pickMime({ "text/html": "<div>", "application/vnd.plotly.v1+json": { data: [] }, "text/plain": "Figure" })?.mime).toBe(
      "application/vnd.plotly.v1+json",
    );
    expect(pickMime({ "text/plain": "df", "text/html": "<table>" })?.mime).toBe("text/html");
  });

  it("never picks application/javascript, and says it was not shown", () => {
    const data = { "application/javascript": "alert(1)" };
    expect(pickMime(data)).toBeNull();
    expect(unrenderedMimes(data)).toEqual(["application/javascript"]);
  });

  it("joins nbformat's multi-line arrays", () => {
    expect(mimeText(["a\n", "b"])).toBe("a\nb");
    expect(mimeText({})).toBeNull();
  });
});
