// Sends the payment form to the bank at once; without JavaScript the boater clicks its button.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) { form.submit(); });
});
