// The drafting page: autosave, a copy in this browser until the server has the
// text, conflicts between tabs, signing in again without losing text, preview,
// a live word count, and on a phone a switch between the answer and the model
// answer. The page works without it (Save and Submit are plain form buttons).
//
// The editor is driven by one explicit state machine (see docs/drafting.md):
//
//   idle/saved ──type──▶ dirty ──2 s──▶ saving ──▶ saved
//                                         ├──▶ conflict       (409 conflict, or another tab saved)
//                                         ├──▶ signed-out     (401, 403 csrf)
//                                         ├──▶ wrong-person   (403 wrong_person: another person signed in)
//                                         ├──▶ retrying       (network, 503, 429: tried again later)
//                                         ├──▶ refused        (400: too large, invalid; waits for an edit)
//                                         └──▶ locked         (409 locked: submitted or accepted elsewhere)
//
// Every change goes through setState(); render() is the only function that
// writes the status line, the badge and the panels, from the state alone.
(function () {
  "use strict";

  // --- The interface language: Django's JavaScript catalogue ----------------------
  // The catalogue (loaded before this script) defines these globals; if it did not
  // load, the page still works, in English.
  const gettext = window.gettext || ((s) => s);
  const ngettext = window.ngettext || ((s, p, n) => (n === 1 ? s : p));
  const pgettext = window.pgettext || ((context, s) => s);
  const interpolate =
    window.interpolate || ((fmt, obj) => fmt.replace(/%\((\w+)\)s/g, (match, name) => String(obj[name])));

  // --- Every word the script shows, in one place ------------------------------------
  const TEXT = {
    words: (n) => interpolate(ngettext("%(count)s word", "%(count)s words", n), { count: n }, true),
    // Translators: the save status; time is when the server last saved the answer.
    saved: (at) => (at ? interpolate(gettext("Saved %(time)s"), { time: at }, true) : gettext("Saved")),
    updatedFromTab: gettext("Updated with the text saved in another tab"),
    updatedFromServer: gettext("Updated with the text saved in another tab or on another device"),
    usingServerText: gettext("Using the text saved elsewhere"),
    notSavedYet: gettext("Not saved yet"),
    saving: gettext("Saving…"),
    notSavedConflict: gettext("Not saved — changed somewhere else"),
    notSavedKept: gettext("Not saved — kept in this browser"),
    retryingIn: (seconds) =>
      interpolate(
        ngettext("Trying again in %(seconds)s second.", "Trying again in %(seconds)s seconds.", seconds),
        { seconds: seconds },
        true
      ),
    retryingSoon: gettext("Trying again when the connection is back."),
    lockedElsewhere: (label) =>
      interpolate(
        // Translators: status is the answer's new status, e.g. “Submitted”.
        gettext("Another tab or device has made this answer “%(status)s”: it is read-only now."),
        { status: label },
        true
      ),
    restoreMessage: (when, older) => {
      // Translators: when is a date and time, e.g. “25 Nov 2026, 12:01”.
      const recent = gettext("This browser kept text you typed on %(when)s that did not reach the server.");
      // Translators: when is a date and time, e.g. “25 Nov 2026, 12:01”.
      const overtaken = gettext("This browser kept text you typed on %(when)s that did not reach the server " +
        "(the answer has been saved from somewhere else since).");
      return interpolate(older ? overtaken : recent, { when: when }, true);
    },
    previewLoading: gettext("Loading preview…"),
    previewEmpty: gettext("Nothing written yet."),
    previewFailed: gettext("The preview could not be made."),
    previewNoAnswer: gettext("The preview could not be made: the server did not answer."),
    statusLabels: {
      not_started: pgettext("answer status", "Not started"),
      draft: pgettext("answer status", "Draft"),
      submitted: pgettext("answer status", "Submitted"),
      needs_revision: pgettext("answer status", "Needs revision"),
      accepted: pgettext("answer status", "Accepted"),
    },
  };

  // Dates in the page's language and that language's own order and clock
  // ("25 Nov 2026, 12:01" in en-GB, "2026. 11. 25. 오후 12:01" in ko).
  function formatDate(date) {
    const options = { dateStyle: "medium", timeStyle: "short" };
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined, options).format(date);
    } catch (error) {
      return new Intl.DateTimeFormat(undefined, options).format(date);
    }
  }

  // --- On a phone: the answer or the model answer, one at a time -----------------
  (function viewSwitch() {
    const switcher = document.getElementById("view-switch");
    const columns = document.getElementById("drafting-columns");
    if (!switcher || !columns) return;
    const buttons = Array.from(switcher.querySelectorAll("button[data-view]"));
    const scrollFor = {}; // the page's scroll position in each view
    const editor = document.getElementById("answer-text");
    let editorScroll = 0;
    let current = "answer";

    function apply(view) {
      columns.dataset.view = view;
      buttons.forEach(function (button) {
        const on = button.dataset.view === view;
        button.classList.toggle("active", on);
        button.setAttribute("aria-pressed", String(on));
      });
    }
    function show(view) {
      if (view === current) return;
      scrollFor[current] = window.scrollY;
      if (editor && current === "answer") editorScroll = editor.scrollTop;
      current = view;
      apply(view);
      if (editor && view === "answer") editor.scrollTop = editorScroll;
      let target = scrollFor[view];
      if (target === undefined) {
        // First visit: the top of that view, just under the switch.
        const top = columns.getBoundingClientRect().top + window.scrollY - switcher.offsetHeight - 8;
        target = Math.max(0, Math.min(window.scrollY, top));
      }
      window.scrollTo(0, target);
      // Once more after the next layout, which may have moved it (a phone scrolls asynchronously).
      window.requestAnimationFrame(() => window.scrollY !== target && window.scrollTo(0, target));
    }
    buttons.forEach((button) => button.addEventListener("click", () => show(button.dataset.view)));
    switcher.hidden = false;
    apply(current);
  })();

  // --- The editor ------------------------------------------------------------------
  const form = document.getElementById("answer-form");
  if (!form) return; // a read-only answer: nothing to edit

  const AUTOSAVE_DELAY_MS = 2000;
  const RETRY_DELAYS_MS = [5000, 10000, 20000, 30000, 60000];
  const EDITABLE = ["not_started", "draft", "needs_revision"];

  const textarea = form.querySelector("textarea[name=text]");
  const versionInput = form.querySelector("input[name=version]");
  const ownerInput = form.querySelector("input[name=owner]");
  const statusEl = document.getElementById("save-status");
  const problemEl = document.getElementById("save-problem");
  const countEl = document.getElementById("word-count");
  const preview = document.getElementById("preview");
  const conflictBox = document.getElementById("conflict");
  const restoreBox = document.getElementById("restore-offer");
  const signinBox = document.getElementById("signin-needed");
  const wrongPersonBox = document.getElementById("wrong-person");
  const lockedBox = document.getElementById("locked-notice");
  const badge = document.querySelector("#answer-status .badge");
  const saveButton = document.getElementById("save-button");
  const submitBox = document.getElementById("submit-box");
  const editorTabs = form.querySelector(".editor-tabs");
  const help = document.getElementById("editor-help");
  const saveUrl = form.dataset.saveUrl;
  const stateUrl = form.dataset.stateUrl;
  const storageKey = form.dataset.storageKey;
  const channel = "BroadcastChannel" in window ? new BroadcastChannel(storageKey) : null;

  // The whole truth the page shows. `serverText` and `version` are what the
  // server holds as far as this tab knows; the editor's text is textarea.value.
  const state = {
    name: "saved", // saved | dirty | saving | conflict | signed_out | wrong_person | retrying | refused | locked
    version: Number(versionInput.value),
    serverText: textarea.value,
    status: form.dataset.status,
    statusLabel: form.dataset.statusLabel,
    savedAt: form.dataset.savedAt,
    note: "", // on "saved": why the text changed under the candidate's eyes
    message: "", // the server's words for the current state
    conflict: null, // { text, version } the server holds, when they differ
    retryAt: 0,
  };

  function setState(name, changes) {
    Object.assign(state, { note: "", message: "" }, changes || {}, { name: name });
    if (name !== "conflict") state.conflict = null;
    versionInput.value = String(state.version);
    render();
  }

  const hasEdits = () => textarea.value !== state.serverText;

  // After anything that may have changed the editor or the server's text: saved
  // when they agree, dirty (and an autosave due) when they do not.
  function settle(changes, delay) {
    const serverText = changes && "serverText" in changes ? changes.serverText : state.serverText;
    if (textarea.value !== serverText) {
      setState("dirty", changes);
      schedule(delay === undefined ? AUTOSAVE_DELAY_MS : delay);
    } else {
      window.clearTimeout(timer);
      dropLocal();
      setState("saved", changes);
    }
  }

  // --- The one function that shows the state ----------------------------------------
  function render() {
    const name = state.name;
    let status = "";
    let kind = name;
    if (name === "saved") {
      status = state.note || (state.status === "not_started" ? "" : TEXT.saved(state.savedAt));
    } else if (name === "dirty") {
      status = TEXT.notSavedYet;
      kind = "pending";
    } else if (name === "saving") {
      status = TEXT.saving;
    } else if (name === "conflict") {
      status = TEXT.notSavedConflict;
      kind = "error";
    } else if (name !== "locked") {
      status = TEXT.notSavedKept;
      kind = "error";
    }
    statusEl.textContent = status;
    statusEl.dataset.state = kind;
    statusEl.hidden = name === "locked";

    let problem = "";
    if (name === "retrying") {
      const seconds = Math.max(1, Math.round((state.retryAt - Date.now()) / 1000));
      problem = [state.message, navigator.onLine ? TEXT.retryingIn(seconds) : TEXT.retryingSoon]
        .filter(Boolean)
        .join(" ");
    } else if (name === "refused") {
      problem = state.message;
    }
    problemEl.textContent = problem;
    problemEl.hidden = !problem;

    if (badge) {
      badge.className = "badge status status-" + state.status;
      badge.textContent = state.statusLabel || TEXT.statusLabels[state.status] || state.status;
    }

    conflictBox.hidden = name !== "conflict";
    if (state.conflict) {
      conflictBox.querySelector("[data-slot=server-text]").textContent = state.conflict.text;
      conflictBox.querySelector("[data-slot=your-text]").textContent = textarea.value;
    }
    signinBox.hidden = name !== "signed_out";
    if (name === "signed_out" && state.message) {
      signinBox.querySelector("[data-slot=signin-message]").textContent = state.message;
    }
    wrongPersonBox.hidden = name !== "wrong_person";
    if (name === "wrong_person" && state.message) {
      wrongPersonBox.querySelector("[data-slot=wrong-person-message]").textContent = state.message;
    }

    const locked = name === "locked";
    lockedBox.hidden = !locked;
    if (locked) {
      lockedBox.querySelector("[data-slot=locked-message]").textContent = state.message;
      textarea.readOnly = true;
      [saveButton, submitBox, editorTabs, help].forEach((element) => element && (element.hidden = true));
      restoreBox.hidden = true;
    }
    countEl.textContent = TEXT.words(countWords(textarea.value));
  }

  // --- Word count: the same rule as units/text.py count_words ----------------------
  const CJK = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff";
  const cjkChar = new RegExp("[" + CJK + "]|[\\u{20000}-\\u{3134F}]", "gu");
  const wordChar = /[\p{L}\p{N}_]/u;
  function countWords(text) {
    return text.replace(cjkChar, " 字 ").split(/\s+/).filter((t) => wordChar.test(t)).length;
  }

  // --- The copy in this browser (its key names the person and the criterion) ---------
  function readLocal() {
    try {
      return JSON.parse(window.localStorage.getItem(storageKey) || "null");
    } catch (error) {
      return null;
    }
  }
  function keepLocal() {
    try {
      window.localStorage.setItem(
        storageKey,
        JSON.stringify({ text: textarea.value, baseVersion: state.version, at: Date.now() })
      );
    } catch (error) {
      // Storage full or disabled: the server copy is then the only one.
    }
  }
  function dropLocal() {
    try {
      window.localStorage.removeItem(storageKey);
    } catch (error) {
      /* nothing kept, nothing to drop */
    }
  }

  // --- Talking to the server ---------------------------------------------------------
  function csrfToken() {
    // Read the cookie each time: signing in again gives a new token.
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : form.querySelector("[name=csrfmiddlewaretoken]").value;
  }

  function post(url, fields, keepalive) {
    const body = new URLSearchParams(fields);
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      // Browsers cap keepalive bodies at 64 KB; bigger texts rely on the local copy.
      keepalive: Boolean(keepalive) && body.toString().length < 60000,
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    });
  }

  // The server's status and its label, as a save or the state endpoint reports them.
  function statusFrom(data) {
    const status = data.status || (state.status === "not_started" ? "draft" : state.status);
    return { status: status, statusLabel: data.status_label || TEXT.statusLabels[status] || status };
  }

  // A refusal every request can get: returns true when it was one of these.
  function refusedForPerson(response, data) {
    if (response.status === 401 || (response.status === 403 && data.error === "csrf")) {
      setState("signed_out", { message: data.message || "" });
      return true;
    }
    // wrong_person: the page is someone else's; forbidden: whoever signed in since is no candidate.
    if (response.status === 403 && (data.error === "wrong_person" || data.error === "forbidden")) {
      setState("wrong_person", { message: data.message || "" });
      return true;
    }
    return false;
  }

  // --- Saving ------------------------------------------------------------------------
  let timer = null;
  let retries = 0;
  let again = false;

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, delay);
  }

  function retryLater(message, seconds) {
    const delay = seconds ? seconds * 1000 : RETRY_DELAYS_MS[Math.min(retries, RETRY_DELAYS_MS.length - 1)];
    retries += 1;
    setState("retrying", { message: message || "", retryAt: Date.now() + delay });
    schedule(delay);
  }

  const WAITING_FOR_PERSON = ["conflict", "locked", "signed_out", "wrong_person"];

  async function save(options) {
    const force = options && options.force; // a retry the candidate asked for (focus, online)
    if (state.name === "saving") {
      again = true;
      return;
    }
    if (state.name === "conflict" || state.name === "locked") return;
    if (!force && (state.name === "signed_out" || state.name === "wrong_person")) return;
    if (!hasEdits()) {
      if (state.name !== "saved") settle();
      return;
    }
    window.clearTimeout(timer);
    const text = textarea.value;
    setState("saving");
    let response;
    let data;
    try {
      response = await post(
        saveUrl,
        { text: text, version: String(state.version), owner: ownerInput ? ownerInput.value : "" },
        options && options.keepalive
      );
      data = await response.json().catch(() => ({}));
    } catch (error) {
      retryLater("");
      return finish();
    }
    if (response.ok) {
      retries = 0;
      const saved = statusFrom(data);
      settle({ version: data.version, serverText: text, savedAt: data.saved_at_display || "", ...saved });
      // Other tabs of this person's answer learn at once what the server holds.
      if (channel) {
        channel.postMessage({
          type: "saved",
          version: data.version,
          text: text,
          status: saved.status,
          status_label: saved.statusLabel,
          saved_at_display: data.saved_at_display || "",
        });
      }
    } else if (refusedForPerson(response, data)) {
      /* kept in this browser until the right person is signed in */
    } else if (response.status === 409 && data.error === "conflict") {
      showConflict(data.server_text || "", Number(data.server_version) || 0, statusFrom(data));
    } else if (response.status === 409) {
      // "locked" (and an older server's "refused"): submitted or accepted elsewhere.
      setState("locked", { message: data.message || "", ...statusFrom(data) });
    } else if (response.status === 429) {
      retryLater(data.message, Number(data.retry_after) || 30);
    } else if (response.status >= 500 || !data.message) {
      retryLater(data.message);
    } else {
      // 400: too large or invalid. Saving again would be refused the same way:
      // wait for the candidate to change the text.
      setState("refused", { message: data.message });
    }
    return finish();
  }

  function finish() {
    if (again) {
      again = false;
      if (state.name === "dirty" || state.name === "saved") schedule(0);
    }
  }

  // --- What the server holds, learned from another tab or on coming back ---------------
  // `snapshot`: { version, text, status, status_label, saved_at_display }; `note`
  // says where it came from, if the editor takes its text.
  function learn(snapshot, note) {
    if (state.name === "saving" || state.name === "locked") return; // the save's answer will tell
    const version = Number(snapshot.version);
    const changes = { ...statusFrom(snapshot) };
    if (snapshot.saved_at_display !== undefined) changes.savedAt = snapshot.saved_at_display;
    if (!EDITABLE.includes(changes.status)) {
      window.clearTimeout(timer);
      setState("locked", { message: TEXT.lockedElsewhere(changes.statusLabel), ...changes });
      return;
    }
    if (version <= state.version && state.name !== "conflict") {
      // Nothing new; still take the status (a first save elsewhere makes it a draft).
      Object.assign(state, changes);
      render();
      return;
    }
    if (state.name === "conflict") {
      if (version > state.conflict.version) showConflict(snapshot.text, version, changes);
      return;
    }
    if (textarea.value === snapshot.text) {
      settle({ version: version, serverText: snapshot.text, ...changes });
    } else if (!hasEdits()) {
      // Nothing typed here since the last save: take the newer text, and say so.
      textarea.value = snapshot.text;
      settle({ version: version, serverText: snapshot.text, note: note, ...changes });
    } else {
      window.clearTimeout(timer);
      showConflict(snapshot.text, version, changes);
    }
  }

  let refreshing = null;
  function refresh() {
    if (!stateUrl || refreshing) return refreshing;
    const owner = ownerInput && ownerInput.value ? "?owner=" + encodeURIComponent(ownerInput.value) : "";
    refreshing = (async function () {
      try {
        const response = await fetch(stateUrl + owner, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          cache: "no-store",
        });
        const data = await response.json().catch(() => ({}));
        if (response.ok && typeof data.text === "string") {
          if (state.name === "signed_out" || state.name === "wrong_person") settle();
          learn(data, TEXT.updatedFromServer);
        } else {
          refusedForPerson(response, data);
        }
      } catch (error) {
        /* offline: the next save will find out */
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  // Coming back to the tab: see what the server holds, then save what is waiting.
  async function comeBack() {
    await refresh();
    if (["retrying", "signed_out", "wrong_person", "dirty"].includes(state.name)) save({ force: true });
  }

  if (channel) {
    channel.addEventListener("message", function (event) {
      if (event.data && event.data.type === "saved" && typeof event.data.text === "string") {
        learn(event.data, TEXT.updatedFromTab);
      }
    });
  }

  // --- Conflicts between tabs or devices --------------------------------------------------
  function showConflict(text, version, statusChanges) {
    const changes = { ...statusChanges, conflict: { text: text, version: version } };
    keepLocal();
    setState("conflict", changes);
    conflictBox.scrollIntoView({ block: "nearest" });
  }
  function resolveConflict(useServer) {
    const server = state.conflict;
    if (!server) return;
    if (useServer) textarea.value = server.text;
    settle({ version: server.version, serverText: server.text, note: useServer ? TEXT.usingServerText : "" }, 0);
    if (hasEdits()) keepLocal();
    textarea.focus();
  }
  conflictBox.querySelector("[data-action=use-server]").addEventListener("click", () => resolveConflict(true));
  conflictBox.querySelector("[data-action=keep-mine]").addEventListener("click", () => resolveConflict(false));

  // --- Offering back text the server never got ---------------------------------------------
  function offerLocalCopy() {
    const local = readLocal();
    if (!local || typeof local.text !== "string") return;
    if (local.text === textarea.value) {
      dropLocal();
      return;
    }
    const offerStep = restoreBox.querySelector("[data-step=offer]");
    const confirmStep = restoreBox.querySelector("[data-step=confirm]");
    function ask(confirming) {
      offerStep.hidden = confirming;
      confirmStep.hidden = !confirming;
      restoreBox.querySelector(confirming ? "[data-action=discard-cancel]" : "[data-action=discard]").focus();
    }
    restoreBox.querySelector("[data-slot=restore-message]").textContent = TEXT.restoreMessage(
      formatDate(new Date(local.at)),
      local.baseVersion < state.version
    );
    restoreBox.querySelector("[data-slot=restore-text]").textContent = local.text;
    restoreBox.hidden = false;
    restoreBox.querySelector("[data-action=restore]").addEventListener("click", function () {
      textarea.value = local.text;
      restoreBox.hidden = true;
      keepLocal();
      settle({}, 0);
      textarea.focus();
    });
    restoreBox.querySelector("[data-action=discard]").addEventListener("click", () => ask(true));
    restoreBox.querySelector("[data-action=discard-cancel]").addEventListener("click", () => ask(false));
    restoreBox.querySelector("[data-action=discard-confirm]").addEventListener("click", function () {
      // Only if the editor does not hold that text now (it was put back, then discarded).
      if (readLocal() && readLocal().at === local.at) dropLocal();
      restoreBox.hidden = true;
      textarea.focus();
    });
  }

  // --- Preview ---------------------------------------------------------------------------------
  const writeTab = form.querySelector("[data-action=show-write]");
  const previewTab = form.querySelector("[data-action=show-preview]");
  function showTab(previewing) {
    preview.hidden = !previewing;
    textarea.hidden = previewing;
    writeTab.classList.toggle("active", !previewing);
    previewTab.classList.toggle("active", previewing);
    writeTab.setAttribute("aria-pressed", String(!previewing));
    previewTab.setAttribute("aria-pressed", String(previewing));
  }
  // The preview holds the answer (English); a message about it is in the interface's language.
  function previewSays(message) {
    const note = document.createElement("em");
    note.lang = document.documentElement.lang;
    note.textContent = message;
    preview.replaceChildren(note);
  }
  async function showPreview() {
    previewSays(TEXT.previewLoading);
    showTab(true);
    try {
      const response = await post(form.dataset.previewUrl, { text: textarea.value });
      const data = await response.json();
      if (response.ok && data.html) {
        // Sanitised by the server's Markdown renderer, the same one that shows answers.
        preview.innerHTML = data.html;
      } else if (response.ok) {
        previewSays(TEXT.previewEmpty);
      } else {
        previewSays(data.message || TEXT.previewFailed);
      }
    } catch (error) {
      previewSays(TEXT.previewNoAnswer);
    }
    preview.focus();
  }
  previewTab.addEventListener("click", showPreview);
  writeTab.addEventListener("click", function () {
    showTab(false);
    textarea.focus();
  });

  // --- Wiring ----------------------------------------------------------------------------------
  textarea.addEventListener("input", function () {
    if (hasEdits()) keepLocal();
    else dropLocal();
    if (state.name === "saved" || state.name === "dirty" || state.name === "refused") {
      settle();
    } else {
      // saving, conflict, signed out, wrong person, retrying: the state holds;
      // the word count and the conflict panel's "Yours" follow the editor.
      render();
    }
  });

  if (saveButton) {
    saveButton.addEventListener("click", function (event) {
      event.preventDefault();
      save({ force: true });
    });
  }

  form.addEventListener("submit", function () {
    // The submission carries the text itself; keep the local copy until the
    // next page shows the server has it.
    keepLocal();
  });

  // Save when the page is hidden or left; on coming back, learn what the server
  // holds and save what is waiting (signed in again, back online).
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save({ keepalive: true });
    else comeBack();
  });
  window.addEventListener("pagehide", () => save({ keepalive: true }));
  window.addEventListener("online", () => save({ force: true }));
  window.addEventListener("focus", comeBack);

  if (!conflictBox.hidden) {
    // The page itself reports a conflict (a form post without the script's help):
    // the version on the page is the server's, and so is the text in the panel.
    const serverText = conflictBox.querySelector("[data-slot=server-text]").textContent;
    state.serverText = serverText;
    setState("conflict", { conflict: { text: serverText, version: state.version } });
  } else {
    render();
  }
  offerLocalCopy();
})();
