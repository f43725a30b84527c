/* cyberframe: the web UI's one script, hand-written. Every page works without it; it adds
   - sortable tables (table.sortable): a button in each column header, aria-sort on the sorted column;
   - light SPARQL syntax highlighting in the query editor ([data-editor]), a parser error's position
     selected in the text, and Ctrl+Enter to run the query;
   - "Use this example" on the validation page.
   No third-party code, no network access. */
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

  /* ---- SPARQL highlighting: a tokeniser after the SPARQL 1.1 grammar's terminals (Query §19.8) ---- */

  var KEYWORDS = ("BASE PREFIX SELECT CONSTRUCT DESCRIBE ASK DISTINCT REDUCED FROM NAMED WHERE ORDER BY ASC DESC " +
    "LIMIT OFFSET VALUES OPTIONAL GRAPH UNION MINUS FILTER BIND SERVICE SILENT AS GROUP HAVING EXISTS NOT IN " +
    "UNDEF TRUE FALSE COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR STR LANG LANGMATCHES DATATYPE BOUND " +
    "IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS " +
    "STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 " +
    "SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX " +
    "SUBSTR REPLACE").split(" ");
  var KEYWORD_SET = {};
  KEYWORDS.forEach(function (k) { KEYWORD_SET[k] = true; });

  var TOKEN = new RegExp([
    "(#[^\\n]*)",                                             // 1 comment
    "(\"\"\"[\\s\\S]*?(?:\"\"\"|$)|'''[\\s\\S]*?(?:'''|$)|\"(?:[^\"\\\\\\n]|\\\\.)*\"?|'(?:[^'\\\\\\n]|\\\\.)*'?)", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                               // 3 IRI
    "([?$][A-Za-z0-9_\\u00B7-\\uFFFF]+)",                      // 4 variable
    "((?:[A-Za-z][\\w.-]*)?:(?:[\\w\\-.%:]|\\\\.)*)",         // 5 prefixed name
    "(\\d+(?:\\.\\d*)?(?:[eE][+-]?\\d+)?)",                   // 6 number
    "([A-Za-z_][A-Za-z_0-9]*)",                               // 7 word
    "([{}()\\[\\].;,*=<>!&|^+\\/-])"                          // 8 punctuation
  ].join("|"), "g");
  var CLASSES = [null, "tok-com", "tok-str", "tok-iri", "tok-var", "tok-pn", "tok-num", null, "tok-punct"];

  function highlight(text, target) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    var match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      if (match[0] === "") { TOKEN.lastIndex += 1; continue; }
      if (match.index > last) { fragment.appendChild(document.createTextNode(text.slice(last, match.index))); }
      var cls = null;
      for (var g = 1; g < match.length; g += 1) {
        if (match[g] !== undefined) {
          cls = CLASSES[g];
          if (g === 7) { cls = (KEYWORD_SET[match[g].toUpperCase()] || match[g] === "a") ? "tok-kw" : null; }
          break;
        }
      }
      if (cls) {
        var span = document.createElement("span");
        span.className = cls;
        span.textContent = match[0];
        fragment.appendChild(span);
      } else {
        fragment.appendChild(document.createTextNode(match[0]));
      }
      last = TOKEN.lastIndex;
    }
    if (last < text.length) { fragment.appendChild(document.createTextNode(text.slice(last))); }
    fragment.appendChild(document.createTextNode("\n"));  // keeps the last line's height when it is empty
    target.textContent = "";
    target.appendChild(fragment);
  }

  function offsetOf(text, line, column) {
    var lines = text.split("\n");
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i += 1) { offset += lines[i].length + 1; }
    return Math.min(text.length, offset + Math.max(0, column - 1));
  }

  function enhanceEditor(container) {
    var textarea = container.querySelector("textarea");
    if (!textarea) { return; }
    var pre = document.createElement("pre");
    pre.className = "highlight";
    pre.setAttribute("aria-hidden", "true");
    var code = document.createElement("code");
    pre.appendChild(code);
    container.insertBefore(pre, textarea);
    container.classList.add("enhanced");
    function sync() {
      pre.scrollTop = textarea.scrollTop;
      pre.scrollLeft = textarea.scrollLeft;
    }
    function update() {
      highlight(textarea.value, code);
      sync();
    }
    textarea.addEventListener("input", update);
    textarea.addEventListener("scroll", sync);
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && textarea.form) {
        event.preventDefault();
        textarea.form.requestSubmit ? textarea.form.requestSubmit() : textarea.form.submit();
      }
    });
    if (window.ResizeObserver) {
      new ResizeObserver(function () { pre.style.height = textarea.offsetHeight + "px"; sync(); }).observe(textarea);
    }
    update();
    var line = parseInt(textarea.getAttribute("data-error-line") || "", 10);
    if (line > 0) {
      var column = parseInt(textarea.getAttribute("data-error-column") || "1", 10);
      var at = offsetOf(textarea.value, line, column);
      textarea.focus();
      textarea.setSelectionRange(at, Math.min(textarea.value.length, at + 1));
    }
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
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
    Array.prototype.forEach.call(document.querySelectorAll("[data-editor]"), enhanceEditor);
    Array.prototype.forEach.call(document.querySelectorAll("form.validate-form"), guardEmptySubmit);
    enhanceExample();
  });
}());
