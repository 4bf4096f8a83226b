// After htmx swaps a reviewed suggestion's card in place, move focus to what happened to it,
// so that keyboard and screen-reader users hear the outcome instead of losing their place
// (the button they pressed is gone). Works for refusals too: focus goes to the first error.
function focusSwapped() {
  const target = document.querySelector("[data-focus-after-swap]");
  if (target) {
    target.removeAttribute("data-focus-after-swap");
    target.focus();
  }
}

document.addEventListener("htmx:after:settle", focusSwapped);
document.addEventListener("htmx:after:swap", focusSwapped);
