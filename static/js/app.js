// Progressive enhancement only: every page works without this file.

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
    // No clipboard access (plain HTTP, old browser): select the text for Ctrl+C.
    button.textContent = "Press Ctrl+C";
    const range = document.createRange();
    range.selectNodeContents(button.previousElementSibling || button);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  setTimeout(() => { button.textContent = label; delete button.dataset.copied; }, 1500);
});

// "/" jumps to the page's search box, as on most sites with one.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const active = document.activeElement;
  if (active && (active.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName))) return;
  const box = document.querySelector("[data-search-box]");
  if (!box) return;
  event.preventDefault();
  box.focus();
  box.select();
});
