// Closeloop: a little plain JavaScript, no framework.
// Every fetch() from our pages carries the session's CSRF token (the API checks it).
(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const token = meta ? meta.content : "";
  const original = window.fetch;
  window.fetch = function (input, init) {
    init = init || {};
    const method = (init.method || "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") {
      init.headers = new Headers(init.headers || {});
      init.headers.set("X-CSRF-Token", token);
    }
    init.credentials = init.credentials || "same-origin";
    return original(input, init);
  };
  // <form data-confirm="…"> asks before submitting.
  document.addEventListener("submit", function (event) {
    const message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
