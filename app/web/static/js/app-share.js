// One tap to share, on /app's cards (templates/advocate/_card.html).
//
// Share (the phone's share sheet): navigator.share() is called first, in the tap itself,
// with nothing awaited before it: the sheet needs the tap's transient activation, and a
// round trip could use it up. The share sheet gets the link the feed reserved for this
// advocate (data-native-url), so no server call is needed to know it. The share is
// recorded (POST /api/v1/posts/{id}/shares {network: "native"}) once the sheet reports it
// done: a cancelled sheet records nothing and earns no points. Should the page never get
// that far (the app killed while the sheet is open), the reserved link still becomes the
// share the first time someone follows it (CONTRACT §3).
//
// Network links (LinkedIn, X, …) are plain links to /app/share/…, which records the share
// and redirects to the network; they carry the edited caption. "Copy link" records a
// `copy` share and puts its tracked link on the clipboard; "Copy caption" copies the text.
import { csrfFetch } from "./csrf.js";

if (typeof navigator.share === "function") {
  document.documentElement.classList.add("has-web-share");
}

const cardOf = (element) => element.closest("[data-share-card]");
const messagesOf = (card) => card.closest("[data-share-messages]")?.dataset ?? {};

function message(card, name, values = {}) {
  const template = messagesOf(card)[name] ?? "";
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? values[key] : whole));
}

function jsonData(card, name, fallback) {
  try {
    return JSON.parse(messagesOf(card)[name] ?? "");
  } catch {
    return fallback;
  }
}

function withDisclosure(text, disclosure) {
  const words = text.trim();
  if (!disclosure) return words;
  return words ? `${words} ${disclosure}` : disclosure;
}

function input(card) {
  return card.querySelector("[data-caption-input]");
}

// The advocate's own words, or null while they keep the post's caption (as captions.py
// reads them: the disclosure, should they type it, is not theirs).
function ownWords(card) {
  const field = input(card);
  if (!field) return null;
  const disclosure = messagesOf(card).disclosure ?? "";
  let words = field.value.trim();
  if (disclosure && words.endsWith(disclosure)) words = words.slice(0, -disclosure.length).trim();
  return words && words !== card.dataset.caption.trim() ? words : null;
}

// The same checks as the server's (app/web/advocate/captions.py), so that nothing is shared
// that would be refused; the server checks again.
function problem(card, own) {
  if (own === null) return null;
  if ([...own].length > 3000) return message(card, "msgTooLong");
  const folded = own.toLocaleLowerCase();
  const word = jsonData(card, "blockedWords", []).find(
    (w) => folded.includes(w.toLocaleLowerCase()));
  return word === undefined ? null : message(card, "msgBlocked", { word });
}

function setStatus(card, text, isError = false) {
  const status = card.querySelector("[data-share-status]");
  if (!status) return;
  status.textContent = text;
  status.classList.toggle("share-status--error", isError);
}

function showProblem(card, text) {
  const error = card.querySelector("[data-caption-error]");
  const field = input(card);
  if (error) error.textContent = text ?? "";
  if (field && text) field.setAttribute("aria-invalid", "true");
  else if (field) field.removeAttribute("aria-invalid");
  if (text && field) {
    const editor = card.querySelector("[data-caption-editor]");
    if (editor) editor.open = true;
    field.focus();
  }
}

function markShared(card, network) {
  const box = card.querySelector("[data-shared-on]");
  const list = card.querySelector("[data-shared-list]");
  if (!box || !list || list.querySelector(`[data-network="${network}"]`)) return;
  const item = document.createElement("li");
  item.className = "badge badge--success";
  item.dataset.network = network;
  item.textContent = `${jsonData(card, "networkNames", {})[network] ?? network} ✓`;
  list.append(item);
  box.hidden = false;
}

// Links carry the caption as the card shows it, so that opening one in a new tab (or with
// a long press) shares the edited words too.
function refreshCard(card) {
  const own = ownWords(card);
  const found = problem(card, own);
  showProblem(card, found);
  const disclosure = messagesOf(card).disclosure ?? "";
  const preview = card.querySelector("[data-caption-words]");
  if (preview) preview.textContent = own ?? card.dataset.caption;
  const counter = card.querySelector("[data-x-counter]");
  if (counter) {
    const forX = own ?? card.dataset.xCaption;
    const used = [...withDisclosure(forX, disclosure)].length + 24; // link (23) and a space
    const over = used > 280;
    counter.textContent = message(card, over ? "msgXOver" : "msgXOk",
      { count: used.toLocaleString(document.documentElement.lang) });
    counter.classList.toggle("caption-counter--over", over);
  }
  for (const link of card.querySelectorAll("a[data-intent], a[data-copy-link]")) {
    const url = new URL(link.href, location.href);
    if (own === null || found) url.searchParams.delete("caption");
    else url.searchParams.set("caption", own);
    link.href = url.pathname + url.search;
  }
}

async function confirmShare(card, network, own) {
  const body = { network };
  if (own !== null) body.caption = own;
  const response = await csrfFetch(`/api/v1/posts/${encodeURIComponent(card.dataset.postId)}/shares`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
    keepalive: true,
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.detail || answer.title || String(response.status));
  return answer;
}

function shareNative(card) {
  const own = ownWords(card);
  const found = problem(card, own);
  if (found) {
    showProblem(card, found);
    return;
  }
  const text = withDisclosure(own ?? card.dataset.caption, messagesOf(card).disclosure ?? "");
  const data = { title: card.dataset.title, text, url: card.dataset.nativeUrl };
  if (typeof navigator.canShare === "function" && !navigator.canShare(data)) {
    setStatus(card, message(card, "msgSheetFailed"), true);
    return;
  }
  let sheet;
  try {
    sheet = navigator.share(data); // first, while the tap still counts
  } catch (error) {
    sheet = Promise.reject(error);
  }
  setStatus(card, "");
  sheet.then(
    () => {
      setStatus(card, message(card, "msgShared"));
      markShared(card, "native");
      return confirmShare(card, "native", own).catch((error) => {
        setStatus(card, message(card, "msgUnrecorded", { detail: error.message }), true);
      });
    },
    (error) => {
      if (error?.name === "AbortError") setStatus(card, message(card, "msgCancelled"));
      else setStatus(card, message(card, "msgSheetFailed"), true);
    },
  );
}

function copyByHand(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "visually-hidden";
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  return copied;
}

// Clipboard writes need the tap in some browsers (Safari): the write starts in the tap,
// with the text still on its way when it has to come from the server.
function writeClipboard(textPromise) {
  if (navigator.clipboard && typeof ClipboardItem === "function" && navigator.clipboard.write) {
    const blob = textPromise.then((text) => new Blob([text], { type: "text/plain" }));
    return navigator.clipboard.write([new ClipboardItem({ "text/plain": blob })])
      .catch(() => textPromise.then((text) => navigator.clipboard.writeText(text)))
      .catch(() => textPromise.then((text) => {
        if (!copyByHand(text)) throw new Error("clipboard");
      }));
  }
  return textPromise.then((text) => {
    if (navigator.clipboard?.writeText) {
      return navigator.clipboard.writeText(text).catch(() => {
        if (!copyByHand(text)) throw new Error("clipboard");
      });
    }
    if (!copyByHand(text)) throw new Error("clipboard");
    return undefined;
  });
}

function copyCaption(card) {
  const own = ownWords(card);
  const text = withDisclosure(own ?? card.dataset.caption, messagesOf(card).disclosure ?? "");
  writeClipboard(Promise.resolve(text)).then(
    () => setStatus(card, message(card, "msgCaptionCopied")),
    () => setStatus(card, message(card, "msgCopyFailed", { detail: text }), true),
  );
}

function copyLink(card) {
  const own = ownWords(card);
  const found = problem(card, own);
  if (found) {
    showProblem(card, found);
    return;
  }
  const share = confirmShare(card, "copy", own);
  const link = share.then((answer) => answer.tracked_url);
  writeClipboard(link).then(
    () => {
      setStatus(card, message(card, "msgLinkCopied"));
      markShared(card, "copy");
    },
    () => share.then(
      (answer) => {
        markShared(card, "copy");
        setStatus(card, message(card, "msgCopyByHand", { link: answer.tracked_url }));
      },
      (error) => setStatus(card, message(card, "msgCopyFailed", { detail: error.message }), true),
    ),
  );
}

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const card = target && cardOf(target);
  if (!card) return;
  if (target.closest("[data-share-native]")) {
    event.preventDefault();
    shareNative(card);
  } else if (target.closest("[data-copy-caption]")) {
    event.preventDefault();
    copyCaption(card);
  } else if (target.closest("[data-copy-link]")) {
    event.preventDefault();
    copyLink(card);
  } else {
    const link = target.closest("a[data-intent]");
    if (!link) return;
    refreshCard(card);
    const found = problem(card, ownWords(card));
    if (found) {
      event.preventDefault();
      showProblem(card, found);
      return;
    }
    const names = jsonData(card, "networkNames", {});
    setStatus(card, message(card, "msgOpened", { network: names[link.dataset.intent] ?? "" }));
  }
});

document.addEventListener("input", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (target?.matches("[data-caption-input]")) refreshCard(cardOf(target));
});

// A caption sent back by the server (the post page) is already in the links; a page the
// browser restored from its cache may hold one typed before: bring the links up to date.
for (const card of document.querySelectorAll("[data-share-card]")) {
  if (input(card) && ownWords(card) !== null) refreshCard(card);
}
