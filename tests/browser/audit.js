(width) => {
  // Runs in the page under test (tests/browser/checks.py): returns a list of
  // problems, each a short sentence. The argument is the viewport width.
  const problems = [];
  // Shown to people: laid out, not hidden, not removed from the accessibility tree
  // (a honeypot field sits off-screen under aria-hidden).
  const visible = (el) => {
    if (el.closest("[aria-hidden=true]")) return false;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && style.display !== "none";
  };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.getAttribute("name") ? "[name=" + el.getAttribute("name") + "]" : "") +
    " \u201c" + (el.textContent || "").trim().slice(0, 40) + "\u201d";

  if (!document.documentElement.lang) problems.push("<html> has no lang");
  if (!document.documentElement.dir) problems.push("<html> has no dir");
  if (!document.title.trim()) problems.push("the page has no title");

  if (document.querySelectorAll("script:not([src])").length) problems.push("inline <script>");
  for (const el of document.querySelectorAll("[style]")) problems.push("inline style attribute: " + el.tagName + " style=\"" + el.getAttribute("style") + "\"");
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) problems.push("inline event handler " + attr.name + " on " + describe(el));
    }
  }
  for (const el of document.querySelectorAll("script[src], link[href], img[src]")) {
    const url = new URL(el.src || el.href, location.href);
    if (url.origin !== location.origin) problems.push("asset from another origin: " + url.href);
  }

  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!named) problems.push("no label: " + describe(el));
  }
  for (const el of document.querySelectorAll("img:not([alt])")) problems.push("image without alt: " + el.src);
  for (const el of document.querySelectorAll("a[href], button")) {
    if (visible(el) && !(el.textContent.trim() || el.getAttribute("aria-label"))) problems.push("control without a name: " + describe(el));
  }
  for (const el of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
    for (const attr of ["aria-describedby", "aria-labelledby"]) {
      for (const id of (el.getAttribute(attr) || "").split(/\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(attr + " points at a missing #" + id);
      }
    }
  }

  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].filter(visible);
  if (headings.filter((h) => h.tagName === "H1").length !== 1) problems.push("not exactly one visible h1");
  let level = 0;
  for (const h of headings) {
    const next = Number(h.tagName[1]);
    if (next > level + 1) problems.push("heading level skips to " + h.tagName + ": " + describe(h));
    level = next;
  }

  const scroller = document.scrollingElement;
  if (width && scroller.scrollWidth > width) problems.push("scrolls sideways: " + scroller.scrollWidth + " px wide");

  // WCAG 2.2 target size (minimum): 24 by 24 CSS pixels, except links inside text.
  const targets = document.querySelectorAll("button, input[type=checkbox], input[type=radio], summary, nav a, select, input[type=text], input[type=email], input[type=search], input[type=url], input[type=password]");
  for (const el of targets) {
    if (!visible(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width < 24 || box.height < 24) problems.push("target smaller than 24 px (" + Math.round(box.width) + "x" + Math.round(box.height) + "): " + describe(el));
  }

  const parse = (value) => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const background = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const luminance = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const seen = new Set();
  for (const el of document.querySelectorAll("body *")) {
    if (!visible(el)) continue;
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!ownText) continue;
    const style = getComputedStyle(el);
    const fg = parse(style.color);
    const bg = background(el);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    const key = style.color + "/" + JSON.stringify(bg) + "/" + needed;
    if (ratio + 0.005 < needed && !seen.has(key)) {
      seen.add(key);
      problems.push("contrast " + ratio.toFixed(2) + ":1 below " + needed + ":1 for " + describe(el));
    }
  }
  return problems;
}
