// Progressive enhancement only: the pages work without this file.
// Copy buttons copy their data-copy value and say so briefly.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    button.textContent = "Copied";
    button.dataset.copied = "";
  } catch {
    button.textContent = "Press Ctrl+C";
    const range = document.createRange();
    range.selectNodeContents(button.previousElementSibling || button);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  setTimeout(() => { button.textContent = label; delete button.dataset.copied; }, 1500);
});
