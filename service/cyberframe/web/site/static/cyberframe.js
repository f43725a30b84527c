/* cyberframe: the web UI's one script, hand-written. Every page works without it; it adds
   - sortable tables (table.sortable): a button in each column header, aria-sort on the sorted column;
   - the SPARQL editor: YASGUI (static/vendor/yasgui, MIT) in place of the plain form, completing
     cyberframe's prefixes, classes and properties from the page's own data; the examples open in its tabs
     (their links, the results pages, are the no-script path); its chart view is static/yasr-chart.js;
   - "Use this example" on the validation page;
   - filters on the ontology and shapes pages (input[data-filter]);
   - search as you type in the search boxes (input[data-suggest], answered by /search/suggest).
   No network access but the site's own /sparql. */
(function () {
  "use strict";

  /* ---- sortable tables (WAI-ARIA Authoring Practices, "Sortable Table") ---- */

  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    return (cell.getAttribute("data-sort") || cell.textContent || "").trim();
  }

  function isNumber(text) {
    return text !== "" && !isNaN(Number(text));
  }

  function sortTable(table, index, header) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.prototype.slice.call(body.rows);
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var numeric = rows.every(function (r) { var v = cellValue(r, index); return v === "" || isNumber(v); });
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      var order = numeric ? (Number(x || 0) - Number(y || 0)) : collator.compare(x, y);
      return ascending ? order : -order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(header.parentNode.children, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function makeSortable(table) {
    var head = table.tHead;
    if (!head || !head.rows.length) { return; }
    Array.prototype.forEach.call(head.rows[0].cells, function (th, index) {
      if (!th.textContent.trim()) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortTable(table, index, th); });
    });
  }

  /* ---- validation page ---- */

  function enhanceExample() {
    var example = document.getElementById("example-data");
    var target = document.getElementById("data");
    if (!example || !target) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button secondary";
    button.textContent = "Use this example";
    button.addEventListener("click", function () {
      target.value = example.textContent;
      target.focus();
    });
    var details = example.closest("details") || example;
    var holder = document.createElement("p");
    holder.appendChild(button);
    details.parentNode.insertBefore(holder, details.nextSibling);
  }

  /* ---- filters: an input[data-filter] hides the elements it names whose text lacks every word typed;
     folded items (<details>) that match are opened when a few match, and folded again when the filter empties ---- */

  var OPEN_MATCHES = 5;

  function enhanceFilter(input) {
    var items = Array.prototype.slice.call(document.querySelectorAll(input.getAttribute("data-filter")));
    var groupSelector = input.getAttribute("data-filter-groups");
    var groups = groupSelector ? Array.prototype.slice.call(document.querySelectorAll(groupSelector)) : [];
    var texts = items.map(function (item) { return item.textContent.toLowerCase(); });
    var wasOpen = items.map(function (item) { return item.open; });
    var holder = input.closest("[hidden]");
    if (holder) { holder.hidden = false; }
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var matches = 0;
      items.forEach(function (item, i) {
        item.hidden = !words.every(function (w) { return texts[i].indexOf(w) >= 0; });
        if (!item.hidden) { matches += 1; }
      });
      items.forEach(function (item, i) {
        if (item.tagName !== "DETAILS") { return; }
        item.open = words.length && matches <= OPEN_MATCHES ? !item.hidden : wasOpen[i];
      });
      groups.forEach(function (group) {
        group.hidden = !group.querySelector(input.getAttribute("data-filter") + ":not([hidden])");
      });
    });
  }

  /* ---- an address ending in #id opens the folded <details> that hold its target (browsers without
     HTML's auto-expanding of details on fragment navigation) ---- */

  function openTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) { return; }
    var opened = false;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) { node.open = true; opened = true; }
    }
    if (opened) { target.scrollIntoView(); }
  }

  /* ---- the SPARQL editor: YASGUI (static/vendor/yasgui), configured by the page's #yasgui-config ---- */

  function enhanceYasgui() {
    var holder = document.getElementById("yasgui");
    var configElement = document.getElementById("yasgui-config");
    if (!holder || !configElement || !window.Yasgui) { return; }
    var config = JSON.parse(configElement.textContent);
    var Yasqe = window.Yasgui.Yasqe;
    // Completion from cyberframe's own graph: no request leaves the site (the defaults ask LOV).
    Yasqe.forkAutocompleter("class", { name: "cf-class", bulk: true, get: function () { return config.classes; } }, false);
    Yasqe.forkAutocompleter("property", { name: "cf-property", bulk: true, get: function () { return config.properties; } }, false);
    Yasqe.defaults.autocompleters = ["prefixes", "variables", "cf-class", "cf-property"];
    var form = document.querySelector("form.query-form");
    holder.hidden = false;
    var yasgui = new window.Yasgui(holder, {
      requestConfig: { endpoint: config.endpoint, method: "POST" },
      copyEndpointOnNewTab: false,
      persistenceId: null,
      yasqe: { value: config.query },
      yasr: { prefixes: config.prefixes }
    });
    yasgui.getTab().setQuery(config.query);
    if (form) { form.hidden = true; }
    window.cyberframeYasgui = yasgui;
    Array.prototype.forEach.call(document.querySelectorAll(".examples a[href]"), function (link) {
      link.addEventListener("click", function (event) { openExample(yasgui, link, event); });
    });
  }

  /* An example link (its address is the results page, the no-script path) opens its query in a YASGUI tab
     of its own, named after it (the named query's name, or the example's title), and runs it; clicked again, it goes back to that tab. A click with a
     modifier key or another button keeps the browser's meaning (a new window, a new browser tab). */
  var opened = {};  /* example name -> the id of its tab */

  function openExample(yasgui, link, event) {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
    var query = new URL(link.href, window.location.href).searchParams.get("query");
    if (!query) { return; }
    event.preventDefault();
    var name = link.getAttribute("data-tab") || link.textContent.trim();
    if (opened[name]) {
      if (yasgui.getTab(opened[name])) { yasgui.selectTabId(opened[name]); return; }
      delete opened[name];  /* its tab was closed */
    }
    var tab = yasgui.addTab(true, { name: name, yasqe: { value: query } });
    opened[name] = tab.getId();
    tab.setQuery(query);
    tab.query().catch(function () { /* YASR shows the error in the tab */ });
    var holder = document.getElementById("yasgui");
    if (holder && holder.scrollIntoView) { holder.scrollIntoView({ block: "start" }); }
  }

  /* ---- search as you type: input[data-suggest] asks /search/suggest and lists the matches below it
     (WAI-ARIA Authoring Practices, "Combobox with listbox popup": arrows move, Enter opens, Escape closes) ---- */

  var suggestCount = 0;

  function enhanceSuggest(input) {
    suggestCount += 1;
    var list = document.createElement("ul");
    list.id = "suggestions-" + suggestCount;
    list.className = "suggestions-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var holder = input.parentNode;
    holder.classList.add("suggest-box");
    holder.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    var timer = null, active = -1, asked = "";

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function mark(index) {
      var items = list.querySelectorAll("li");
      Array.prototype.forEach.call(items, function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && items[index]) { input.setAttribute("aria-activedescendant", items[index].id); }
    }

    function show(results) {
      list.textContent = "";
      results.forEach(function (r, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        var a = document.createElement("a");
        a.href = r.url;
        if (r.notation && r.notation !== r.label) {
          var n = document.createElement("span");
          n.className = "notation";
          n.textContent = r.notation;
          a.appendChild(n);
        }
        a.appendChild(document.createTextNode(r.label));
        var k = document.createElement("span");
        k.className = "muted";
        k.textContent = r.kind;
        a.appendChild(k);
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }

    function ask() {
      var text = input.value.trim();
      if (text.length < 2) { close(); return; }
      if (text === asked) { return; }
      asked = text;
      fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (payload) { if (payload.q === input.value.trim().slice(0, 100)) { show(payload.results); } })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 120);
    });
    input.addEventListener("keydown", function (event) {
      var items = list.querySelectorAll("li");
      if (list.hidden || !items.length) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); mark((active + 1) % items.length); }
      else if (event.key === "ArrowUp") { event.preventDefault(); mark((active - 1 + items.length) % items.length); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); window.location.href = items[active].querySelector("a").href; }
    });
    input.addEventListener("blur", function () { setTimeout(close, 200); });
  }

  // The validation form: an empty submit (no text, no file) is caught before it is sent.
  function guardEmptySubmit(form) {
    var message = document.getElementById("empty-submit");
    form.addEventListener("submit", function (event) {
      var text = form.querySelector("textarea[name=data]");
      var file = form.querySelector("input[name=file]");
      var empty = (!text || !text.value.trim()) && (!file || !file.files || file.files.length === 0);
      if (empty) {
        event.preventDefault();
        if (message) { message.hidden = false; }
        if (text) { text.focus(); }
      } else if (message) {
        message.hidden = true;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), enhanceSuggest);
    enhanceYasgui();
    Array.prototype.forEach.call(document.querySelectorAll("input[data-filter]"), enhanceFilter);
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
    Array.prototype.forEach.call(document.querySelectorAll("form.validate-form"), guardEmptySubmit);
    enhanceExample();
    openTarget();
  });
  window.addEventListener("hashchange", openTarget);
}());
