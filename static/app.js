/* MNC Exchange: small enhancements, no inline script (the Content-Security-Policy forbids it).
 *
 * A table wider than the screen scrolls inside its .table-responsive wrapper: while it does, the
 * wrapper can take the focus, so that it can be scrolled with the arrow keys (WCAG 2.1.1). */
(function () {
  "use strict";

  function label(box) {
    var caption = box.querySelector("caption");
    var heading = caption ? null : box.closest("section, .card, main");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    if (heading) {
      var h = heading.querySelector("h1, h2, h3, h4");
      if (h && h.textContent.trim()) return h.textContent.trim();
    }
    return document.title;
  }

  function update() {
    var boxes = document.querySelectorAll(".table-responsive");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", label(box));
        box.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        box.removeAttribute("data-scroll-focus");
      }
    }
  }

  var pending = null;
  function later() {
    if (pending) window.cancelAnimationFrame(pending);
    pending = window.requestAnimationFrame(update);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
  window.addEventListener("resize", later);
})();
