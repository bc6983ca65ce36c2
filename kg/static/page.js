/* The query page of `kg serve`: YASGUI pointed at this server's endpoint, nothing fetched elsewhere. */
(function () {
  "use strict";
  var endpoint = new URL("sparql", window.location.href).href;
  document.getElementById("endpoint").textContent = endpoint;

  // Offline: keep the autocompleters that work locally; "property" and "class" call a remote service.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];

  var prologue = [
    "PREFIX chips: <https://w3id.org/chipskg/ontology#>",
    "PREFIX res: <https://w3id.org/chipskg/id/>",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>",
    ""
  ].join("\n");
  var firstQuery = prologue +
    "# Who invested in which company?\n" +
    "SELECT ?investorLabel ?companyLabel WHERE {\n" +
    "  ?investor chips:investedIn ?company .\n" +
    "  ?investor rdfs:label ?investorLabel . FILTER(lang(?investorLabel) = \"en\")\n" +
    "  ?company rdfs:label ?companyLabel . FILTER(lang(?companyLabel) = \"en\")\n" +
    "}\nORDER BY ?companyLabel ?investorLabel\n";

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: "chipskg-" + window.location.host,
    // Never take an endpoint (or anything else) from the page's URL: ?endpoint=... pointing
    // elsewhere would send the user's queries, and read answers, from another server.
    populateFromUrl: false,
    yasqe: { value: firstQuery }
  });
  window.kgYasgui = yasgui;

  // Result tables show names: each entity's IRI gets its label above it, linked to its explorer page
  // (labels from /api/labels, put in as text).
  var pending = null;
  function label() {
    pending = null;
    var anchors = Array.prototype.filter.call(document.querySelectorAll("#yasgui a.iri"), function (a) {
      return !a.hasAttribute("data-kg-label");
    }).slice(0, 200);
    if (!anchors.length) { return; }
    var query = new URLSearchParams();
    anchors.forEach(function (a) { a.setAttribute("data-kg-label", ""); query.append("iri", a.href); });
    fetch(new URL("api/labels?" + query.toString(), window.location.href).href, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { labels: {} }; })
      .then(function (data) {
        anchors.forEach(function (a) {
          var entity = data.labels[a.href];
          var cell = a.parentNode;
          if (!entity || !cell || cell.querySelector(".kg-label")) { return; }
          var link = document.createElement("a");
          link.className = "kg-label";
          link.href = new URL("entity/" + encodeURIComponent(entity.slug), window.location.href).href;
          link.textContent = entity.label;
          cell.insertBefore(link, cell.firstChild);
          cell.insertBefore(document.createElement("br"), link.nextSibling);
        });
        label();  // a long table: the next two hundred
      })
      .catch(function () {});
  }
  new MutationObserver(function () {
    if (!pending) { pending = setTimeout(label, 50); }
  }).observe(document.getElementById("yasgui"), { childList: true, subtree: true });
  // Tabs kept from an earlier visit may name another endpoint: every tab asks this server.
  function ownEndpoint(tab) {
    if (tab && tab.getEndpoint() !== endpoint) { tab.setEndpoint(endpoint); }
  }
  Object.keys(yasgui._tabs || {}).forEach(function (id) { ownEndpoint(yasgui.getTab(id)); });
  yasgui.on("tabSelect", function (instance, id) { ownEndpoint(yasgui.getTab(id)); });
  yasgui.on("queryBefore", function (instance, tab) { ownEndpoint(tab); });

  // Saved questions: open one in a new tab. Its parameters are left unbound (so it answers for
  // every company, person ...); bind one with a VALUES line, e.g. VALUES ?company { res:groq }.
  var select = document.getElementById("saved");
  var note = document.getElementById("saved-note");
  var saved = {};
  fetch(new URL("queries", window.location.href).href, { headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      data.queries.forEach(function (q) {
        saved[q.name] = { title: q.title, text: data.prologue + q.text, params: q.params };
        var option = document.createElement("option");
        option.value = q.name;
        option.textContent = q.title + " (" + q.name + ")";
        select.appendChild(option);
      });
    })
    .catch(function () { note.textContent = "(could not list the saved questions)"; });
  select.addEventListener("change", function () {
    var q = saved[select.value];
    if (!q) { return; }
    yasgui.addTab(true, { name: q.title, yasqe: { value: q.text }, requestConfig: { endpoint: endpoint } });
    note.textContent = q.params.length
      ? "Parameters " + q.params.map(function (p) { return "?" + p.name; }).join(", ") +
        " are unbound: add a VALUES line to pick one."
      : "";
    select.value = "";
  });
}());
