// Chorus's service worker: it keeps the app shell and static files, nothing else.
// Pages (/app, /console, /dashboard, /login), the API and every answer that depends on the
// cookie go to the network and are never stored (CONTRACT §8).
const VERSION = {{ version|tojson }};
const PREFIX = "chorus-shell-";
const CACHE = PREFIX + VERSION;
const OFFLINE = "/offline";
const SHELL = {{ shell|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names
        .filter((name) => name.startsWith(PREFIX) && name !== CACHE)
        .map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

// Static files are hashed (their URL changes with their content), so a stored copy is
// always right.
function isStatic(url) {
  return url.origin === self.location.origin && url.pathname.startsWith("/static/");
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const stored = await cache.match(request);
  if (stored) return stored;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

async function networkOrOffline(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const cache = await caches.open(CACHE);
    return (await cache.match(OFFLINE, { ignoreVary: true })) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (isStatic(url)) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkOrOffline(request));
  }
  // Anything else (the API, page fragments, tracked links) is left to the browser.
});
