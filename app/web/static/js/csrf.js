// The CSRF token of this page (<meta name="csrf-token">) on the page's own requests: htmx's
// and those made with csrfFetch(). Never sent to another origin.
const HEADER = "X-CSRF-Token";

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

function sameOrigin(url) {
  try {
    return new URL(url, document.baseURI).origin === location.origin;
  } catch {
    return false;
  }
}

// htmx 4 fires htmx:config:request with detail.ctx.request = {action, method, headers, ...}
// before each request; headers is a plain object.
document.addEventListener("htmx:config:request", (event) => {
  const request = event.detail?.ctx?.request;
  if (request && sameOrigin(request.action)) request.headers[HEADER] = csrfToken();
});

// fetch() with the token (same origin only) and the cookie.
export function csrfFetch(input, init = {}) {
  const url = input instanceof Request ? input.url : String(input);
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  if (sameOrigin(url)) headers.set(HEADER, csrfToken());
  return fetch(input, { credentials: "same-origin", ...init, headers });
}
