// Warden console: live updates for the approvals and alerts pages.
// The page works fully without this script. With it, the page follows
// /console/events (server-sent events); when its list changes it fetches
// the page again and swaps in the new <main>, unless you are typing in a
// form there, in which case it shows a "reload" link instead.
(function () {
  "use strict";
  var kind = document.body.getAttribute("data-live");
  var main = document.getElementById("main");
  if (!kind || !main || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var busy = false, again = false;

  // banner shows a status line with a link that reloads the page.
  function banner(text) {
    var p = document.getElementById("live-banner");
    if (!p) {
      p = document.createElement("p");
      p.id = "live-banner";
      p.className = "flash live";
      p.setAttribute("role", "status");
      main.insertBefore(p, main.firstChild);
    }
    var a = document.createElement("a");
    a.href = pageURL();
    a.textContent = text;
    p.replaceChildren(a);
  }

  // pageURL is this page without the one-off ?done= message.
  function pageURL() {
    var u = new URL(window.location.href);
    u.searchParams.delete("done");
    u.hash = "";
    return u.pathname + u.search;
  }

  // editing: a field in the list has focus or holds text the swap would lose.
  function editing() {
    var a = document.activeElement;
    if (a && a !== main && main.contains(a) && a.matches("input, textarea, select")) {
      return true;
    }
    var fields = main.querySelectorAll("input[type=text], textarea");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value !== "") {
        return true;
      }
    }
    var boxes = main.querySelectorAll("input[type=checkbox]");
    for (var j = 0; j < boxes.length; j++) {
      if (boxes[j].checked !== boxes[j].defaultChecked) {
        return true;
      }
    }
    return false;
  }

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    if (editing()) {
      banner(kind === "approval" ? "Approvals changed: reload the list" : "Alerts changed: reload the list");
      return;
    }
    busy = true;
    var want = pageURL();
    fetch(want, { credentials: "same-origin", redirect: "manual", headers: { "Accept": "text/html" } })
      .then(function (res) {
        if (res.status !== 200) {
          throw new Error("status " + res.status);
        }
        return res.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var next = doc.getElementById("main");
        if (!next || doc.body.getAttribute("data-live") !== kind) {
          throw new Error("not the list page");
        }
        if (editing()) {
          banner(kind === "approval" ? "Approvals changed: reload the list" : "Alerts changed: reload the list");
          return;
        }
        main.replaceChildren.apply(main, Array.prototype.slice.call(next.childNodes));
        main.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () {
        banner("The list may have changed: reload");
      })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var es = new EventSource("/console/events");
  es.onopen = function () {
    document.body.setAttribute("data-live-state", "open");
  };
  es.addEventListener(kind, refresh);
  es.addEventListener("end", function () {
    es.close();
    banner("Your session has ended: reload to sign in again");
  });
  es.onerror = function () {
    // A refused stream (signed out: 401) is closed by the browser; a
    // dropped one reconnects by itself.
    if (es.readyState === EventSource.CLOSED) {
      banner("Live updates stopped: reload");
    }
  };
}());
