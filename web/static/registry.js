// The list pages: with JavaScript a filter applies as soon as it changes
// (a tick, the sort, the rows per page); without it the "Apply filters"
// button sends the same form. The search box still waits for Enter or
// its button, so typing does not reload the page.
(function () {
  'use strict';
  var form = document.querySelector('form[data-apply-on-change]');
  if (!form) return;
  form.addEventListener('change', function (ev) {
    var t = ev.target;
    if (!t || t.type === 'search') return;
    if (typeof form.requestSubmit === 'function') form.requestSubmit();
    else form.submit();
  });
})();
