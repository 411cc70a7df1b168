// Switch the model answer's language in place, so nothing else on the page
// (above all, a half-written answer) is reloaded. Without this script the
// language links still work as ordinary links.
(function () {
  "use strict";
  document.addEventListener("click", async function (event) {
    const link = event.target.closest("#model-answer .language-switcher a[data-lang]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const panel = document.getElementById("model-answer");
    const url = panel.dataset.fragmentUrl + "?lang=" + encodeURIComponent(link.dataset.lang);
    event.preventDefault();
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const holder = document.createElement("div");
      // The fragment is rendered by the server, Markdown sanitised there.
      holder.innerHTML = await response.text();
      panel.replaceWith(holder.firstElementChild);
      history.replaceState(null, "", "?lang=" + encodeURIComponent(link.dataset.lang));
      const current = document.querySelector('#model-answer .language-switcher a[aria-current="true"]');
      if (current) current.focus();
    } catch (error) {
      window.location.href = link.href;
    }
  });
})();
