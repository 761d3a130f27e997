// Live parts of a page re-render themselves by polling (htmx). They wait while the user is busy in them:
// typing notes, an open "Resolve…" box or a focused control would be wiped by a refresh.
window.cmIdle = function () {
  return !document.querySelector("[data-live] :focus, [data-live] details[open]");
};
