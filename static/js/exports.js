// While an export is being made, ask the server now and then how it stands, and
// show the page again when one is ready (or failed): its download link appears
// without the person reloading. Without this script the page's Reload link does it.
(function () {
  "use strict";

  const holder = document.getElementById("exports");
  if (!holder || holder.dataset.pending !== "true") return;
  const shown = {};
  holder.querySelectorAll("tr[data-export]").forEach(function (row) {
    shown[row.dataset.export] = row.querySelector("[data-status]").textContent.trim();
  });
  let wait = 2000;
  const giveUpAt = Date.now() + 30 * 60 * 1000;

  async function check() {
    try {
      const response = await fetch(holder.dataset.statusUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const data = await response.json();
        const changed = data.exports.some(function (item) {
          return String(item.id) in shown && shown[item.id] !== item.status_label;
        });
        if (changed) {
          window.location.reload();
          return;
        }
        if (!data.exports.some(function (item) { return item.status === "queued" || item.status === "running"; })) {
          return;
        }
      }
    } catch (error) {
      // Offline or the server restarting: try again a little later.
    }
    wait = Math.min(wait * 1.5, 15000);
    if (Date.now() < giveUpAt) window.setTimeout(check, wait);
  }

  window.setTimeout(check, wait);
})();
