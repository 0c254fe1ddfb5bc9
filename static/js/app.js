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

// The customer page's jobs and activity arrive after the record: fetch the server-rendered
// parts and put each in place of the page's element with the same id. Without this
// script the placeholders keep a link to the same parts as a page of their own.
async function loadParts(slot) {
  const url = slot.dataset.fragment;
  try {
    const response = await fetch(url, { headers: { "X-Fragment": "1" }, credentials: "same-origin" });
    if (response.redirected || !(response.headers.get("Content-Type") || "").startsWith("text/html")) {
      throw new Error("not the parts");  // e.g. signed out meanwhile: keep the link
    }
    const parts = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const part of parts.body.querySelectorAll(":scope > [id]")) {
      const target = document.getElementById(part.id);
      if (target) target.replaceWith(document.importNode(part, true));
    }
  } catch {
    const note = slot.querySelector(".loading");
    if (note) note.firstChild.textContent = "The account’s activity could not be loaded here. ";
  }
}
document.querySelectorAll("[data-fragment]").forEach(loadParts);

// "Print statement" prints the page; the print stylesheet shows the statement.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
