"""Accessibility checks run inside the page: labels for every control, and text contrast from computed styles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

UNLABELLED_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden')
  .filter(el => {
    const byFor = el.id && document.querySelector(`label[for="${el.id}"]`);
    const wrapped = el.closest('label');
    return !(byFor || wrapped || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'));
  })
  .map(el => el.name || el.id || el.outerHTML.slice(0, 60))
"""

# WCAG 2.x relative luminance and contrast ratio; the background is the first opaque one up the tree.
CONTRAST_JS = """
(selector) => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  document.querySelectorAll(selector).forEach((el) => {
    // Only elements that hold text themselves: a list item's colour does not matter when its link has the text.
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null) return;
    const fg = parse(getComputedStyle(el).color).slice(0, 3);
    const bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    out.push({ text: el.textContent.trim().slice(0, 40), ratio: Math.round(ratio * 100) / 100 });
  });
  return out;
}
"""
TEXT_SELECTORS = "h1, h2, h3, p, label, legend, a, button, th, td, li, .hint, .src, .error, .finding strong"


def unlabelled(page: Any) -> list[str]:
    found: list[str] = page.evaluate(UNLABELLED_JS)
    return found


def low_contrast(page: Any, minimum: float = 4.5) -> list[dict[str, Any]]:
    measured: list[dict[str, Any]] = page.evaluate(CONTRAST_JS, TEXT_SELECTORS)
    assert measured, "no text measured"
    return [m for m in measured if m["ratio"] < minimum]


def tab_reaches(page: Any, start: str, target_id: str, limit: int = 80) -> bool:
    """Keyboard only: from `start`, does Tab reach the element with id `target_id`?"""
    page.focus(start)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == target_id:
            return True
    return False


AXE = Path(__file__).resolve().parents[2] / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"
NO_SIDEWAYS_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def axe_serious(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page (the context must bypass CSP to inject it)."""
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
    )
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in found if v["impact"] in ("serious", "critical")]


def sideways(page: Any) -> int:
    """How many pixels the page scrolls sideways (0 on a page that fits the screen)."""
    overflow: int = page.evaluate(NO_SIDEWAYS_JS)
    return overflow
