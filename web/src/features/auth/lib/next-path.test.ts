import { describe, expect, it } from "vitest";
import { safeNextPath } from "./next-path";

describe("safeNextPath", () => {
  it("keeps paths on this site and refuses everything else", () => {
    expect(safeNextPath("/workspace?session=1")).toBe("/workspace?session=1");
    for (const bad of [null, "", "https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"]) {
      expect(safeNextPath(bad)).toBe("/history");
    }
  });
});
