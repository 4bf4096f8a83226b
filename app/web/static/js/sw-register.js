// Registers the service worker (/sw.js: the app shell and static files only).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
    // The pages work the same without it, only not offline and not installable.
  });
}
