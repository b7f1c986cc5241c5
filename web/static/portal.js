// archportal's enhancements. Every page works without this file; it only
// adds comfort where JavaScript runs.
(function () {
  'use strict';
  document.documentElement.classList.remove('no-js');
  document.documentElement.classList.add('js');
})();

// The registry's filters come folded on a phone, below the results, and
// open on a wider screen, where their summary is hidden (they are sent
// open, for the pages without JavaScript).
(function () {
  'use strict';
  var filters = document.querySelector('details.portal-filters');
  if (!filters)
    return;
  var phone = window.matchMedia('(max-width: 39.99em)');
  var fit = function () { filters.open = !phone.matches; };
  fit();
  phone.addEventListener('change', fit);
})();
