// The drafting page: autosave, a copy in this browser until the server has the
// text, conflicts between tabs, signing in again without losing text, preview
// and a live word count. The page works without it (Save and Submit are plain
// form buttons); this script makes sure typed text is never lost.
(function () {
  "use strict";

  const form = document.getElementById("answer-form");
  if (!form) return;

  const AUTOSAVE_DELAY_MS = 2000;
  const RETRY_DELAYS_MS = [5000, 10000, 20000, 30000, 60000];

  const textarea = form.querySelector("textarea[name=text]");
  const versionInput = form.querySelector("input[name=version]");
  const statusEl = document.getElementById("save-status");
  const countEl = document.getElementById("word-count");
  const preview = document.getElementById("preview");
  const conflictBox = document.getElementById("conflict");
  const restoreBox = document.getElementById("restore-offer");
  const signinBox = document.getElementById("signin-needed");
  const saveUrl = form.dataset.saveUrl;
  const storageKey = form.dataset.storageKey;
  const editable = form.dataset.editable === "true";

  let version = Number(versionInput.value);
  let serverText = conflictBox.hidden ? textarea.value : null; // what the server holds
  let timer = null;
  let inFlight = false;
  let again = false;
  let blockedBy = conflictBox.hidden ? null : "conflict"; // "conflict" | "signin" | null
  let retries = 0;

  // --- Word count: the same rule as units/text.py count_words -----------------
  const CJK = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff";
  const cjkChar = new RegExp("[" + CJK + "]|[\\u{20000}-\\u{3134F}]", "gu");
  const wordChar = /[\p{L}\p{N}_]/u;
  function countWords(text) {
    return text.replace(cjkChar, " 字 ").split(/\s+/).filter((t) => wordChar.test(t)).length;
  }
  function showCount() {
    const n = countWords(textarea.value);
    countEl.textContent = n + (n === 1 ? " word" : " words");
  }

  // --- The copy in this browser ------------------------------------------------
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
        JSON.stringify({ text: textarea.value, baseVersion: version, at: Date.now() })
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

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.dataset.state = kind;
  }

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

  // --- Saving --------------------------------------------------------------------
  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, delay);
  }

  function retryLater() {
    const delay = RETRY_DELAYS_MS[Math.min(retries, RETRY_DELAYS_MS.length - 1)];
    retries += 1;
    schedule(delay);
  }

  async function save(options) {
    if (!editable || blockedBy === "conflict") return;
    const text = textarea.value;
    if (text === serverText) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    setStatus("Saving…", "saving");
    try {
      const response = await post(saveUrl, { text: text, version: String(version) }, options && options.keepalive);
      const data = await response.json().catch(() => ({}));
      if (response.ok) {
        version = data.version;
        versionInput.value = String(version);
        serverText = text;
        retries = 0;
        blockedBy = null;
        signinBox.hidden = true;
        if (textarea.value === text) dropLocal();
        setStatus("Saved " + data.saved_at_display, "saved");
        const badge = document.querySelector("#answer-status .status-not_started");
        if (badge) {
          badge.className = "badge status status-draft";
          badge.textContent = "Draft";
        }
      } else if (response.status === 401 || (response.status === 403 && data.error === "csrf")) {
        blockedBy = "signin";
        signinBox.querySelector("[data-slot=signin-message]").textContent = data.message;
        signinBox.hidden = false;
        setStatus("Not saved — kept in this browser", "error");
      } else if (response.status === 409 && data.error === "conflict") {
        showConflict(data.server_text, data.server_version);
      } else if (response.status >= 500) {
        throw new Error("HTTP " + response.status); // kept here, tried again later
      } else if (data.message) {
        setStatus("Not saved — " + data.message, "error");
      } else {
        throw new Error("HTTP " + response.status);
      }
    } catch (error) {
      setStatus("Not saved — kept in this browser", "error");
      retryLater();
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        schedule(0);
      }
    }
  }

  // --- Conflicts between tabs or devices -----------------------------------------
  function showConflict(text, serverVersion) {
    blockedBy = "conflict";
    conflictBox.dataset.serverVersion = String(serverVersion);
    conflictBox.querySelector("[data-slot=server-text]").textContent = text;
    conflictBox.querySelector("[data-slot=your-text]").textContent = textarea.value;
    conflictBox.hidden = false;
    setStatus("Not saved — changed somewhere else", "error");
    conflictBox.scrollIntoView({ block: "nearest" });
  }
  function resolveConflict(useServer) {
    const serverVersion = Number(conflictBox.dataset.serverVersion || versionInput.value);
    const server = conflictBox.querySelector("[data-slot=server-text]").textContent;
    version = serverVersion;
    versionInput.value = String(version);
    conflictBox.hidden = true;
    blockedBy = null;
    if (useServer) {
      textarea.value = server;
      serverText = server;
      dropLocal();
      setStatus("Using the text saved elsewhere", "saved");
    } else {
      serverText = server;
      keepLocal();
      save();
    }
    showCount();
    textarea.focus();
  }
  conflictBox.querySelector("[data-action=use-server]").addEventListener("click", () => resolveConflict(true));
  conflictBox.querySelector("[data-action=keep-mine]").addEventListener("click", () => resolveConflict(false));

  // --- Offering back text the server never got -----------------------------------
  function offerLocalCopy() {
    const local = readLocal();
    if (!local || typeof local.text !== "string") return;
    if (local.text === textarea.value || !editable) {
      if (local.text === textarea.value) dropLocal();
      return;
    }
    const when = new Date(local.at).toLocaleString();
    const older = local.baseVersion < version;
    restoreBox.querySelector("[data-slot=restore-message]").textContent =
      "This browser kept text you typed on " + when + " that did not reach the server" +
      (older ? " (the answer has been saved from somewhere else since)." : ".");
    restoreBox.querySelector("[data-slot=restore-text]").textContent = local.text;
    restoreBox.hidden = false;
    restoreBox.querySelector("[data-action=restore]").onclick = function () {
      textarea.value = local.text;
      restoreBox.hidden = true;
      showCount();
      keepLocal();
      save();
      textarea.focus();
    };
    restoreBox.querySelector("[data-action=discard]").onclick = function () {
      dropLocal();
      restoreBox.hidden = true;
      textarea.focus();
    };
  }

  // --- Preview ---------------------------------------------------------------------
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
  async function showPreview() {
    preview.textContent = "Loading preview…";
    showTab(true);
    try {
      const response = await post(form.dataset.previewUrl, { text: textarea.value });
      const data = await response.json();
      // Sanitised by the server's Markdown renderer, the same one that shows answers.
      if (response.ok) preview.innerHTML = data.html || "<p><em>Nothing written yet.</em></p>";
      else preview.textContent = data.message || "The preview could not be made.";
    } catch (error) {
      preview.textContent = "The preview could not be made: the server did not answer.";
    }
    preview.focus();
  }
  function showWrite() {
    showTab(false);
    textarea.focus();
  }
  previewTab.addEventListener("click", showPreview);
  writeTab.addEventListener("click", showWrite);

  // --- Wiring ------------------------------------------------------------------------
  textarea.addEventListener("input", function () {
    showCount();
    if (!editable) return;
    if (textarea.value === serverText) {
      dropLocal();
      return;
    }
    keepLocal();
    if (blockedBy === null) setStatus("Not saved yet", "pending");
    schedule(AUTOSAVE_DELAY_MS);
  });

  const saveButton = document.getElementById("save-button");
  if (saveButton) {
    saveButton.addEventListener("click", function (event) {
      event.preventDefault();
      window.clearTimeout(timer);
      save();
    });
  }

  form.addEventListener("submit", function () {
    // The submission carries the text itself; keep the local copy until the
    // next page shows the server has it.
    keepLocal();
  });

  // Save when the page is hidden or left, and retry when we may be back online
  // or signed in again (the user returns to this tab).
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save({ keepalive: true });
    else if (textarea.value !== serverText) save();
  });
  window.addEventListener("pagehide", () => save({ keepalive: true }));
  window.addEventListener("online", () => save());
  window.addEventListener("focus", function () {
    if (blockedBy === "signin") save();
  });

  showCount();
  offerLocalCopy();
  if (blockedBy === "conflict") {
    conflictBox.dataset.serverVersion = versionInput.value;
  }
})();
