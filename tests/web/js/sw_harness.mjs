// Runs the service worker's script (argv[2]) against fake caches and a fake network, and
// prints what it did as JSON: what install stored, which requests it answered, what each
// left in the cache, what an offline navigation shows, which caches survive activate.
import { readFileSync } from "node:fs";
import vm from "node:vm";

const ORIGIN = "http://testserver";
const stores = new Map();
let online = true;

function fakeResponse(url, body) {
  return { ok: true, status: 200, type: "basic", url, body, clone() { return this; } };
}

async function fakeFetch(input) {
  const url = new URL(typeof input === "string" ? input : input.url, ORIGIN).href;
  if (!online) throw new TypeError("Failed to fetch");
  return fakeResponse(url, "network:" + new URL(url).pathname);
}

function keyOf(request) {
  return new URL(typeof request === "string" ? request : request.url, ORIGIN).href;
}

const caches = {
  async open(name) {
    if (!stores.has(name)) stores.set(name, new Map());
    const store = stores.get(name);
    return {
      async addAll(urls) {
        for (const url of urls) store.set(keyOf(url), await fakeFetch(url));
      },
      async match(request) { return store.get(keyOf(request)); },
      async put(request, response) { store.set(keyOf(request), response); },
    };
  },
  async keys() { return [...stores.keys()]; },
  async delete(name) { return stores.delete(name); },
};

const listeners = {};
const self = {
  location: new URL(ORIGIN + "/sw.js"),
  addEventListener(type, listener) { listeners[type] = listener; },
  skipWaiting: async () => {},
  clients: { claim: async () => {} },
};
const context = vm.createContext({
  self, caches, fetch: fakeFetch, URL, Promise, console,
  Response: { error: () => ({ ok: false, status: 0, type: "error", body: null }) },
});
vm.runInContext(readFileSync(process.argv[2], "utf8"), context);

async function lifecycle(type) {
  const pending = [];
  listeners[type]({ waitUntil(promise) { pending.push(promise); } });
  await Promise.all(pending);
}

async function dispatchFetch(path, { method = "GET", mode = "cors" } = {}) {
  let answer = null;
  listeners.fetch({
    request: { url: new URL(path, ORIGIN).href, method, mode },
    respondWith(promise) { answer = promise; },
  });
  return answer === null ? null : await answer;
}

function cachedPaths() {
  const paths = [];
  for (const store of stores.values()) for (const key of store.keys()) paths.push(new URL(key).pathname + new URL(key).search);
  return paths.sort();
}

const report = {};
await lifecycle("install");
report.installed = cachedPaths();
report.cacheNames = [...stores.keys()];

report.handled = {};
const probes = JSON.parse(process.argv[3]);
for (const probe of probes) {
  const response = await dispatchFetch(probe.path, probe);
  report.handled[`${probe.mode ?? "cors"} ${probe.method ?? "GET"} ${probe.path}`] = response !== null;
}
report.cachedAfter = cachedPaths();

online = false;
report.offlineNavigation = (await dispatchFetch("/app", { mode: "navigate" }))?.body ?? null;
const staticPath = report.installed.find((p) => p.startsWith("/static/"));
report.offlineStatic = (await dispatchFetch(staticPath))?.body ?? null;
online = true;

stores.set("chorus-shell-0000000000", new Map());
stores.set("someone-elses-cache", new Map());
await lifecycle("activate");
report.afterActivate = [...stores.keys()].sort();
console.log(JSON.stringify(report));
