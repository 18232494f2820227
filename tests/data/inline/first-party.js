// Opening hours widget and menu toggle of the clinic's own site.
document.addEventListener('DOMContentLoaded', function () {
  var config = { open: '08:00', close: '23:00', analytics: false };
  var button = document.querySelector('.menu-toggle');
  button.addEventListener('click', function () {
    document.body.classList.toggle('menu-open');
  });
  var now = new Date();
  var hours = document.getElementById('opening-hours');
  hours.textContent = 'I dag: ' + config.open + '–' + config.close;
  window.dataLayerReady = false; // no tracking here
});
