/* The card's upload forms with a progress bar: the same multipart POST as
 * the plain form, sent by XMLHttpRequest so that its upload progress can
 * be shown; the answer (a redirect to the card, or the card with the
 * problems of a refused file) then replaces the page. Without this
 * script, the forms work as they are. */
(function () {
  'use strict';
  function enhance(form) {
    var box = form.querySelector('.portal-upload-progress');
    var bar = box && box.querySelector('progress');
    if (!bar || !window.FormData || !window.XMLHttpRequest) return;
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.upload.addEventListener('progress', function (p) {
        if (p.lengthComputable) bar.value = Math.round(p.loaded * 100 / p.total);
      });
      xhr.addEventListener('load', function () {
        bar.value = 100;
        if (xhr.status === 200 && xhr.responseURL) {
          window.location.assign(xhr.responseURL);
        } else {
          /* a refusal: show the page the server answered */
          document.open();
          document.write(xhr.responseText);
          document.close();
        }
      });
      xhr.addEventListener('error', function () { form.submit(); });
      box.hidden = false;
      bar.value = 0;
      var buttons = form.querySelectorAll('button');
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
      xhr.send(new FormData(form));
    });
  }
  var forms = document.querySelectorAll('form.portal-upload');
  for (var i = 0; i < forms.length; i++) enhance(forms[i]);
})();

/* USWDS writes its file input's texts in English and has no setting for
 * them ("Drag file here or choose from folder", "No file selected.",
 * "Selected file", "Change file", …): whenever it writes one, it is said
 * again in the page's language, from the translations the page gives on
 * the input (data-i18n-*, from the catalogs). */
(function () {
  function translate(input) {
    var d = input.dataset;
    var form = input.closest('form');
    if (!form || !d.i18nChoose) return;
    var words = {
      'Drag file here or': d.i18nDrag, 'choose from folder': d.i18nChoose,
      'Choose from folder': d.i18nChooseFirst, 'Change file': d.i18nChange,
      'Selected file': d.i18nSelected, 'No file selected.': d.i18nNone,
      'Error: This is not a valid file type.': d.i18nWrong
    };
    var labels = {
      'Drag file here or choose from folder': d.i18nDrag + ' ' + d.i18nChoose,
      'Choose from folder': d.i18nChooseFirst, 'Change file': d.i18nChange
    };
    var chosen = 'You have selected the file: ';
    /* writes only what differs: a write of the same text is a mutation
     * too, and would wake the observer again (on the English page) */
    function fix() {
      var walker = document.createTreeWalker(form, NodeFilter.SHOW_TEXT);
      for (var n = walker.nextNode(); n; n = walker.nextNode()) {
        var t = n.nodeValue.trim(), to = null;
        if (words[t] && words[t] !== t) to = n.nodeValue.replace(t, words[t]);
        else if (t.indexOf(chosen) === 0 && d.i18nChosen + ' ' !== chosen)
          to = d.i18nChosen + ' ' + t.slice(chosen.length);
        if (to !== null && to !== n.nodeValue) n.nodeValue = to;
      }
      var label = input.getAttribute('aria-label');
      if (label && labels[label] && labels[label] !== label) input.setAttribute('aria-label', labels[label]);
    }
    fix();
    new MutationObserver(fix).observe(form, {
      subtree: true, childList: true, characterData: true, attributes: true,
      attributeFilter: ['aria-label']
    });
  }
  var inputs = document.querySelectorAll('form.portal-upload input[type=file]');
  for (var i = 0; i < inputs.length; i++) translate(inputs[i]);
})();
