// Live parts of a page re-render themselves by polling (htmx). They wait while the user is busy in them:
// typing notes, an open "Resolve…" box or a focused control would be wiped by a refresh.
window.cmIdle = function () {
  return !document.querySelector("[data-live] :focus, [data-live] details[open]");
};

// The Content-Security-Policy forbids eval, and an htmx trigger filter ("every 3s [cmIdle()]") is evaluated
// code: the wait is made here instead, by refusing a live part's poll while the user is busy. A filter still
// written in a template is dropped before htmx reads it (with eval off, htmx would complain on every poll).
document.addEventListener("htmx:beforeProcessNode", function (event) {
  var element = event.target;
  var trigger = element.getAttribute && element.getAttribute("hx-trigger");
  if (trigger && trigger.indexOf("[cmIdle()]") !== -1) {
    element.setAttribute("hx-trigger", trigger.replace(/\s*\[cmIdle\(\)\]/g, ""));
  }
});
document.addEventListener("htmx:confirm", function (event) {
  if (event.target.matches("[data-live]") && !window.cmIdle()) {
    event.preventDefault();
  }
});
