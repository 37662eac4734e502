import { describe, expect, it } from "vitest";
import { en } from "./en";
import { detectLang, format, translate } from "./store";
import { zhCN } from "./zh-CN";

describe("i18n", () => {
  it("follows the browser unless a language was chosen here", () => {
    expect(detectLang(null, ["zh-TW", "en"])).toBe("zh-CN");
    expect(detectLang(null, ["de-DE", "en-GB"])).toBe("en");
    expect(detectLang("en", ["zh-CN"])).toBe("en");
    expect(detectLang("klingon", ["fr"])).toBe("en");
  });

  it("has every English message in Chinese, with the same placeholders", () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(zhCN[key], key).toBeTruthy();
      expect(placeholders(zhCN[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("fills placeholders", () => {
    expect(format("{a} and {b} and {c}", { a: 1, b: "x" })).toBe("1 and x and {c}");
    expect(translate("zh-CN", "history.updated", { when: "今天" })).toBe("更新于 今天");
  });
});
