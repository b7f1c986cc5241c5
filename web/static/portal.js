// archportal's enhancements. Every page works without this file; it only
// adds comfort where JavaScript runs.
(function () {
  'use strict';
  document.documentElement.classList.remove('no-js');
  document.documentElement.classList.add('js');
})();
