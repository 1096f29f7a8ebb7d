// Measures for the phone tests (tests/phone.py): sideways scrolling, small tap targets, where the focus is.

// Out of sight: the element or an ancestor is a 1 px clipped box (visually hidden text, a hidden table head),
// has no size, or waits off-screen (the skip link until it is focused). Neither a tap target nor content.
function shown(el) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return false;
  for (let a = el; a && a !== document.body; a = a.parentElement) {
    const s = getComputedStyle(a), ar = a.getBoundingClientRect();
    if (s.visibility === "hidden" || s.display === "none") return false;
    if (s.overflow === "hidden" && (ar.width <= 1 || ar.height <= 1)) return false;
    if (ar.right < 0) return false;
  }
  return true;
}

function named(el) {
  const text = (el.innerText || el.value || el.name || el.id || "").trim().slice(0, 40);
  return el.tagName.toLowerCase() + " «" + text + "»";
}

// What does not fit a phone: an empty list when all is well.
function phoneProblems() {
  const problems = [];
  const root = document.documentElement, width = root.clientWidth;
  if (root.scrollWidth > width) problems.push("page scrolls sideways: " + root.scrollWidth);
  for (const el of document.querySelectorAll("body *")) {
    const s = getComputedStyle(el);
    if (["auto", "scroll"].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1 && shown(el)) {
      problems.push("box scrolls sideways: " + named(el) + " " + el.scrollWidth + " > " + el.clientWidth);
    }
    if (el.matches("a, button, input, select, textarea, td, th") && shown(el)) {
      const r = el.getBoundingClientRect();
      if (r.right > width + 1 || r.left < -1) {
        problems.push("off-screen: " + named(el) + " " + Math.round(r.left) + ".." + Math.round(r.right));
      }
    }
  }
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary")) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 24 || r.height < 24) {
      problems.push("tap target " + named(el) + " " + r.width.toFixed(1) + " × " + r.height.toFixed(1));
    }
  }
  return problems;
}

// The focused element, the message that explains it, and whether both are on screen and announced.
function focusedError() {
  const el = document.activeElement;
  if (!el || el === document.body) return { focused: null };
  const inside = (node) => {
    const r = node.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= innerHeight;
  };
  const errorId = (el.getAttribute("aria-describedby") || "").split(" ").filter((id) => id.includes("-error-"))[0];
  const message = el.matches("[aria-invalid]") ? document.getElementById(errorId) : el;
  return {
    focused: el.id || el.className,
    text: message ? message.innerText : null,
    inside: inside(el) && !!message && inside(message),
    alert: !!message && message.getAttribute("role") === "alert",
  };
}

// How far down the page's own title ends (px from the top of the page).
function titleBottom() {
  const h1 = document.querySelector("main h1");
  return h1 ? Math.round(h1.getBoundingClientRect().bottom + scrollY) : null;
}
