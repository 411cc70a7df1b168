// Switch the model answer's language in place, so nothing else on the page
// (above all, a half-written answer) is reloaded. Without this script the
// language links still work as ordinary links.
(function () {
  "use strict";

  // The question's translation under the English question follows the chosen language.
  function showQuestionTranslation(data) {
    const line = document.getElementById("question-translation");
    if (!line) return;
    line.textContent = data.question || "";
    line.lang = data.questionLang || "";
    line.dir = data.questionDir || "ltr";
    line.hidden = !data.question;
  }

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
      const fresh = holder.firstElementChild;
      panel.replaceWith(fresh);
      showQuestionTranslation(fresh.dataset);
      history.replaceState(null, "", "?lang=" + encodeURIComponent(link.dataset.lang));
      const current = document.querySelector('#model-answer .language-switcher a[aria-current="true"]');
      if (current) current.focus();
    } catch (error) {
      window.location.href = link.href;
    }
  });
})();
