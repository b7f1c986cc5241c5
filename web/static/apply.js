/* The application form's organisation search as one types: the same page
 * is asked for with the words (GET /{lang}/apply?org_q=…, which searches
 * the registry on the server) and its list of organisations found replaces
 * this one, keeping the one chosen. Without this script the "Find" button
 * does the same by sending the form. */
(function () {
  'use strict';
  var input = document.getElementById('apply-org_q');
  var results = document.getElementById('apply-org-results');
  if (!input || !results || !window.fetch || !window.DOMParser) return;
  var timer = null, asked = 0;
  function update() {
    var typed = input.value.trim();
    if (typed.length < 2) return;
    var mine = ++asked;
    var url = window.location.pathname + '?org_q=' + encodeURIComponent(typed);
    fetch(url, {credentials: 'same-origin', headers: {Accept: 'text/html'}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html || mine !== asked) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var found = doc.getElementById('apply-org-results');
        if (!found) return;
        var chosen = results.querySelector('input:checked');
        var again = chosen && found.querySelector('input[value="' + chosen.value + '"]');
        if (again) {
          again.checked = true;
        } else if (chosen) {
          found.insertBefore(chosen.closest('.usa-radio'), found.firstChild);
        }
        results.replaceChildren.apply(results, Array.prototype.slice.call(found.childNodes));
      })
      .catch(function () { /* the button still works */ });
  }
  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  });
  /* Enter in the search box searches here; in another field it sends the
   * application (without this script the first button, "Find", would take
   * it and only search again) */
  var form = input.form, send = form && form.querySelector('button[name=_send]');
  if (!send) return;
  form.addEventListener('keydown', function (ev) {
    var t = ev.target;
    if (ev.key !== 'Enter' || t.tagName !== 'INPUT' || t.type === 'checkbox' || t.type === 'radio') return;
    ev.preventDefault();
    if (t === input) {
      clearTimeout(timer);
      update();
    } else {
      send.click();
    }
  });
})();
