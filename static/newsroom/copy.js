// A "Copy" button for a read-only field: <button data-copy="FIELD-ID" hidden>, and beside it
// <p role="status" data-copy-status="FIELD-ID"> to say it worked. Without this script the
// button stays hidden and the field can still be selected and copied by hand.
(function () {
  "use strict";

  function say(id, text) {
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (status) {
      status.textContent = text;
    }
  }

  function copyBySelecting(field) {
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var id = button.getAttribute("data-copy");
    var field = document.getElementById(id);
    if (!field) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var copied = function () { say(id, "Copied."); };
      var byHand = function () {
        if (copyBySelecting(field)) {
          copied();
        } else {
          say(id, "Select the address and copy it.");
        }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(copied, byHand);
      } else {
        byHand();
      }
    });
  });
})();
