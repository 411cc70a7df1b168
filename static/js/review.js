// The review page: selecting words in the submitted answer fills in the
// comment's passage, with its position, so the comment is anchored there.
// Without the script (or from the keyboard) the passage can be typed or
// pasted into the form; the server finds it in the answer.
(function () {
  "use strict";
  const text = document.getElementById("revision-text");
  const form = document.getElementById("comment-form");
  if (!text || !form) return;
  const quote = form.querySelector("[name=quote]");
  const start = form.querySelector("[name=quote_start]");

  function offsetOf(node, offset) {
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function takeSelection() {
    const selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) return;
    const range = selection.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return;
    const passage = range.toString();
    if (!passage.trim()) return;
    quote.value = passage;
    start.value = String(offsetOf(range.startContainer, range.startOffset));
  }

  text.addEventListener("mouseup", takeSelection);
  text.addEventListener("keyup", takeSelection);
  quote.addEventListener("input", function () {
    start.value = ""; // typed by hand: the server finds the passage
  });
  form.querySelector("[data-action=clear-quote]").addEventListener("click", function () {
    quote.value = "";
    start.value = "";
    form.querySelector("[name=body]").focus();
  });
})();
