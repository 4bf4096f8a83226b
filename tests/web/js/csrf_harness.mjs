// Loads static/js/csrf.js (argv[2]) with a fake page, then reports which requests got the
// X-CSRF-Token header: htmx's (through htmx:config:request) and csrfFetch()'s.
import { pathToFileURL } from "node:url";

const ORIGIN = "http://testserver";
const listeners = {};
globalThis.location = new URL(ORIGIN + "/app");
globalThis.document = {
  baseURI: ORIGIN + "/app",
  querySelector: (selector) => (selector === 'meta[name="csrf-token"]' ? { content: "page-token" } : null),
  addEventListener(type, listener) { listeners[type] = listener; },
};
const sent = [];
globalThis.fetch = async (input, init) => {
  sent.push({ url: String(input), token: init.headers.get("X-CSRF-Token"), credentials: init.credentials });
  return { ok: true };
};

const { csrfFetch } = await import(pathToFileURL(process.argv[2]).href);

const htmx = {};
for (const action of ["/app/shares", "http://testserver/console/posts", "https://evil.example/x"]) {
  const request = { action, method: "POST", headers: { "HX-Request": "true" } };
  listeners["htmx:config:request"]({ detail: { ctx: { request } } });
  htmx[action] = request.headers["X-CSRF-Token"] ?? null;
}
await csrfFetch("/api/v1/shares", { method: "POST", headers: { "Content-Type": "application/json" } });
await csrfFetch("https://evil.example/collect", { method: "POST" });
console.log(JSON.stringify({ htmx, fetch: sent }));
