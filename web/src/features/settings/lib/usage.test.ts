import { describe, expect, it } from "vitest";
import { dailyTotals } from "./usage";

describe("dailyTotals", () => {
  it("sums tokens per day and model, oldest day first", () => {
    const r = dailyTotals([
      { day: "2026-01-02", model: "b", tokensIn: 1, tokensOut: 2 },
      { day: "2026-01-01", model: "a", tokensIn: 10, tokensOut: 5 },
      { day: "2026-01-02", model: "a", tokensIn: 4, tokensOut: 0 },
    ]);
    expect(r).toEqual({
      models: ["a", "b"],
      days: [
        { day: "2026-01-01", byModel: { a: 15 }, total: 15 },
        { day: "2026-01-02", byModel: { b: 3, a: 4 }, total: 7 },
      ],
      peak: 15,
    });
  });
});
