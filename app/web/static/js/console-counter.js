// Live character counts for captions with a network limit (X: 280), so the marketer sees
// the limit before the server refuses the form. Counts code points, as the server does.
for (const counter of document.querySelectorAll("[data-counter-for]")) {
  const field = document.getElementById(counter.dataset.counterFor);
  const max = Number(counter.dataset.max);
  if (!field || !max) continue;
  const update = () => {
    const length = [...field.value].length;
    counter.textContent = `${length}/${max}`;
    counter.classList.toggle("counter--over", length > max);
  };
  field.addEventListener("input", update);
  update();
}
