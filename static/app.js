// Progressive enhancement only: every page works without this script.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// While a proposal is drafted, refresh the similar proposals beside it
// (the "find similar" button does the same without script).
(function () {
  var form = document.getElementById("proposal-form");
  var panel = document.getElementById("similar");
  if (!form || !panel || !window.fetch) {
    return;
  }
  var list = panel.querySelector("ol.similar");
  var timer = null;
  var fields = form.querySelectorAll("[data-similar]");
  function value(name) {
    var field = form.querySelector("[name=" + name + "]");
    return field ? field.value : "";
  }
  function render(items) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    var empty = panel.querySelector("p.empty");
    if (empty) {
      empty.parentNode.removeChild(empty);
    }
    if (items.length === 0) {
      var none = document.createElement("p");
      none.className = "empty";
      none.textContent = panel.getAttribute("data-empty");
      panel.appendChild(none);
      return;
    }
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/proposals/" + item.id;
      a.textContent = item.title;
      var score = document.createElement("span");
      score.className = "score";
      score.textContent = " " + Math.round(item.score * 100) + "%";
      li.appendChild(a);
      li.appendChild(score);
      list.appendChild(li);
    });
  }
  function ask() {
    var headline = value("headline");
    var text = value("text");
    if (headline.trim() === "" && text.trim() === "") {
      return;
    }
    fetch("/api/v1/proposals/similar", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRF-Token": value("csrf")
      },
      body: JSON.stringify({
        headline: headline,
        text: text,
        exclude_id: panel.getAttribute("data-exclude") || ""
      })
    })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (items) {
        if (items) {
          render(items);
        }
      })
      .catch(function () {});
  }
  Array.prototype.forEach.call(fields, function (field) {
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 600);
    });
  });
})();

// Step forms: show only the fields of the chosen step, and the confirmation
// box only for a step that asks first (without script every field shows and
// the server asks for the box).
(function () {
  var form = document.getElementById("step-form");
  if (!form) {
    return;
  }
  var select = form.querySelector("select[name=action]");
  var box = form.querySelector("[data-confirm-box]");
  if (!select) {
    return;
  }
  function update() {
    var chosen = select.options[select.selectedIndex];
    var action = chosen ? chosen.value : "";
    Array.prototype.forEach.call(form.querySelectorAll("[data-actions]"), function (field) {
      var wanted = field.getAttribute("data-actions").split(" ").indexOf(action) >= 0;
      field.hidden = !wanted;
    });
    if (box) {
      box.hidden = !(chosen && chosen.hasAttribute("data-asks-first"));
    }
  }
  select.addEventListener("change", update);
  update();
})();
