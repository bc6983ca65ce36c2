/* chips-kg explorer: suggestions as you type, for every input of class kg-suggest.
 * Suggestions come from /api/search (the CLI's name index); every name is put in the page as text,
 * never as HTML. Keyboard: arrows move, Enter picks, Escape closes. */
(function () {
  "use strict";

  var lang = document.documentElement.lang.indexOf("zh") === 0 ? "zh" : "en";
  window.kgLang = lang;

  function nameOf(item) {
    return lang === "zh" && item.label_zh ? item.label_zh : item.label;
  }
  window.kgNameOf = nameOf;

  function pageUrl(path, params) {
    var url = new URL(path, window.location.origin);
    Object.keys(params || {}).forEach(function (k) { url.searchParams.set(k, params[k]); });
    if (lang !== "en") url.searchParams.set("lang", lang);
    return url.pathname + url.search;
  }
  window.kgPageUrl = pageUrl;

  function attach(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var navigate = input.hasAttribute("data-navigate");
    var items = [], active = -1, timer = null, asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function show(results) {
      items = results;
      list.textContent = "";
      results.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.className = "name";
        name.textContent = nameOf(item);
        li.appendChild(name);
        var other = lang === "zh" ? item.label : item.label_zh;
        if (other && other !== name.textContent) {
          var alt = document.createElement("span");
          alt.className = "alt";
          alt.textContent = other;
          li.appendChild(alt);
        }
        var cls = document.createElement("span");
        cls.className = "cls";
        cls.textContent = item["class"];
        li.appendChild(cls);
        li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }

    function highlight(i) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (o, j) { o.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (i >= 0) {
        input.setAttribute("aria-activedescendant", options[i].id);
        options[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function pick(i) {
      var item = items[i];
      if (!item) return;
      if (navigate) {
        window.location.href = pageUrl("/entity/" + encodeURIComponent(item.slug));
        return;
      }
      input.value = item.label;
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function ask() {
      var q = input.value.trim();
      var mine = ++asked;
      if (!q) { show([]); return; }
      fetch("/api/search?limit=8&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (mine === asked) show(data.results || []); })
        .catch(function () { if (mine === asked) show([]); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (list.hidden) return;
        event.preventDefault();
        var n = items.length, step = event.key === "ArrowDown" ? 1 : -1;
        highlight(active < 0 && step < 0 ? n - 1 : (active + step + n) % n);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        pick(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();  // close the list; a second Escape clears the field as usual
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.querySelectorAll("input.kg-suggest").forEach(attach);
  window.kgReady = true;
})();
