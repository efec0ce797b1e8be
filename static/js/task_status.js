// Live status of a task: polls the dashboard's JSON endpoint every 2 s. When the task finishes,
// the detail page reloads (outputs, cost and timeline render server-side); the playground swaps
// in the outputs fragment instead, so the form keeps its values.
(function () {
  var box = document.getElementById("task-status");
  if (!box || box.dataset.active !== "true") return;
  function set(name, fn) { var el = box.querySelector('[data-field="' + name + '"]'); if (el) fn(el); }
  function finish(data) {
    if (!box.dataset.outputsUrl) { window.location.reload(); return; }
    set("hint", function (el) { el.textContent = ""; });
    set("progress", function (el) { el.parentNode.hidden = true; });
    fetch(box.dataset.outputsUrl, {credentials: "same-origin"}).then(function (r) { return r.text(); })
      .then(function (html) { document.getElementById("task-outputs").innerHTML = html; });
  }
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        set("status", function (el) { el.textContent = data.status; el.className = "badge " + data.status; });
        set("progress", function (el) { el.style.width = data.progress + "%"; });
        if (data.cost) set("cost", function (el) { el.textContent = data.cost; });
        if (data.finished) { finish(data); return; }
        setTimeout(poll, 2000);
      })
      .catch(function () { set("hint", function (el) { el.textContent = "Lost contact; retrying…"; }); setTimeout(poll, 5000); });
  }
  poll();
})();
// Copy buttons: <button data-copy="#selector">.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var target = document.querySelector(button.dataset.copy);
  if (target && navigator.clipboard) navigator.clipboard.writeText(target.textContent).then(function () { button.textContent = "Copied"; });
});
