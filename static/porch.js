// Small enhancements; every flow works without this file.
(function () {
  "use strict";

  // Live countdown for posts in their pause; reload when the pause ends, so the
  // author sees the post as everyone else now does. On the edit form, do not reload:
  // that would throw away what is being typed. Say what happened instead.
  function format(left) {
    if (left < 60) return left + " s";
    var seconds = left % 60;
    return Math.floor(left / 60) + " min " + (seconds < 10 ? "0" : "") + seconds + " s";
  }
  // The server writes whole seconds, cut down; the true moment is up to a second
  // later. Count to the end of that second, so the countdown is never early.
  function publishAt(text) {
    var at = Date.parse(text);
    return /\.\d+/.test(text) ? at : at + 999;
  }
  var editing = document.querySelector("form.compose");
  function tick() {
    var pending = document.querySelectorAll(".countdown[data-publish-at]");
    var now = Date.now();
    pending.forEach(function (el) {
      var left = Math.ceil((publishAt(el.dataset.publishAt) - now) / 1000);
      if (left > 0) {
        var shown = format(left);
        if (el.textContent !== shown) el.textContent = shown;
      } else if (!el.dataset.done) {
        el.dataset.done = "1";
        el.textContent = "now";
        var note = editing && el.closest(".pause-note");
        if (note) {
          note.textContent = "The pause is over and your post has gone out as it was. " +
            "Saving now will not change it; your text here stays yours to copy.";
        } else {
          // The server publishes at that moment; give it half a second.
          setTimeout(function () { window.location.reload(); }, 500);
        }
      }
    });
  }
  if (document.querySelector(".countdown[data-publish-at]")) {
    tick();
    setInterval(tick, 250);
  }

  // Characters left while composing.
  document.querySelectorAll("textarea[data-max]").forEach(function (area) {
    var max = parseInt(area.dataset.max, 10);
    var out = document.getElementById(area.id + "-count");
    function update() {
      var left = max - area.value.trim().length;
      out.textContent = left >= 0 ? left + " characters left" : -left + " characters over the limit";
      out.classList.toggle("over", left < 0);
    }
    area.addEventListener("input", update);
    update();
    // A reply starts with the @mention; put the caret after it, not before: at once when
    // the box has the focus, else the first time it gets it (a reply box is not focused
    // on opening, so the context above it stays in view).
    function toEnd() { area.setSelectionRange(area.value.length, area.value.length); }
    if (area.autofocus && area.value) {
      toEnd();
    } else if (area.value && area.value === area.defaultValue) {
      // After the click or Tab has placed the caret; only a caret left at the very
      // start moves (a click elsewhere or a selection is the person's own choice).
      var untouched = function () {
        return area.selectionStart === 0 && area.selectionEnd === 0 &&
          area.value === area.defaultValue;
      };
      area.addEventListener("focus", function () {
        setTimeout(function () { if (untouched()) { toEnd(); } }, 0);
      }, { once: true });
      // Typing can come before that moment (a fast typist, a pasted text): the first
      // key moves the caret too, before its character lands.
      area.addEventListener("keydown", function () {
        if (untouched()) { toEnd(); }
      }, { once: true });
    }
  });

  // A code to copy is selected whole when it gets focus.
  document.querySelectorAll("input[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });

  // The composer's rules follow the intent chosen: "Venting brings: ...".
  var intent = document.getElementById("intent");
  var rules = document.getElementById("policy-summary");
  if (intent && rules) {
    var brings = JSON.parse(rules.dataset.intentBrings || "{}");
    intent.addEventListener("change", function () {
      rules.textContent = brings[intent.value] || brings[""] || rules.textContent;
    });
  }

  // Ask before destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();

// Images in the composer: a preview of the files chosen, before they are sent, and a
// focus point set by a click on an attached image (the x,y field stays for keyboards).
(function () {
  "use strict";
  var picker = document.getElementById("images");
  if (picker && window.URL && URL.createObjectURL) {
    var chosen = document.createElement("ul");
    chosen.className = "chosen-previews";
    chosen.setAttribute("aria-label", "Images chosen, not sent yet");
    picker.insertAdjacentElement("afterend", chosen);
    picker.addEventListener("change", function () {
      chosen.textContent = "";
      Array.prototype.forEach.call(picker.files, function (file) {
        if (!/^image\//.test(file.type)) return;
        var item = document.createElement("li");
        var img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = "Preview of " + file.name;
        img.addEventListener("load", function () { URL.revokeObjectURL(img.src); });
        item.appendChild(img);
        chosen.appendChild(item);
      });
    });
  }

  function clamp(v) { return Math.max(-1, Math.min(1, v)); }
  document.querySelectorAll("li.attached-image").forEach(function (item) {
    var img = item.querySelector("img");
    var input = item.querySelector("input[id^='focus_']");
    if (!img || !input) return;
    var frame = document.createElement("span");
    frame.className = "focus-picker";
    img.parentNode.insertBefore(frame, img);
    frame.appendChild(img);
    var dot = document.createElement("span");
    dot.className = "focus-dot";
    dot.setAttribute("aria-hidden", "true");
    frame.appendChild(dot);
    function show() {
      var found = /^\s*(-?\d*\.?\d+)\s*,\s*(-?\d*\.?\d+)\s*$/.exec(input.value);
      dot.hidden = !found;
      if (!found) return;
      dot.style.left = (clamp(parseFloat(found[1])) + 1) * 50 + "%";
      dot.style.top = (1 - clamp(parseFloat(found[2]))) * 50 + "%";
    }
    img.addEventListener("click", function (event) {
      var box = img.getBoundingClientRect();
      var x = clamp(((event.clientX - box.left) / box.width) * 2 - 1);
      var y = clamp(1 - ((event.clientY - box.top) / box.height) * 2);
      input.value = x.toFixed(2) + "," + y.toFixed(2);
      show();
    });
    input.addEventListener("input", show);
    show();
    var hint = document.getElementById(input.id + "-hint");
    if (hint) hint.textContent += " Or click the image where it matters most.";
  });
})();
