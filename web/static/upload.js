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
