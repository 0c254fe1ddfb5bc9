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

// Keyboard shortcuts (the "?" dialog lists them). None acts while a person types in a
// field, or with a modifier held (the browser's own shortcuts stay theirs).
function typing() {
  const active = document.activeElement;
  return active && (active.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName));
}

// j/k: the next and previous row of the page's results; Enter then opens its link.
function moveInResults(step) {
  const rows = [...document.querySelectorAll("table.results tbody tr")].filter((row) => row.querySelector("a"));
  if (!rows.length) return false;
  const current = rows.findIndex((row) => row.classList.contains("is-chosen"));
  const next = current < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(Math.max(current + step, 0), rows.length - 1);
  rows.forEach((row) => row.classList.remove("is-chosen"));
  rows[next].classList.add("is-chosen");
  rows[next].querySelector("a").focus();
  return true;
}

// [ and ]: the previous and next customer of the list the page was opened from.
function follow(rel) {
  const link = document.querySelector(`.place a[rel="${rel}"]`);
  if (!link) return false;
  link.click();
  return true;
}

const shortcuts = {
  "/": () => {
    const box = document.querySelector("[data-search-box]");
    if (!box) return false;
    box.focus();
    box.select();
    return true;
  },
  "[": () => follow("prev"),
  "]": () => follow("next"),
  j: () => moveInResults(1),
  k: () => moveInResults(-1),
  n: () => {
    const adding = document.querySelector("details.add-note");
    if (!adding) return false;
    adding.open = true;
    adding.querySelector("textarea").focus();
    return true;
  },
  p: () => {
    // On a customer page: the statement's PDF; elsewhere (the activity page prints the
    // statement, a document itself): the print dialog.
    const statement = document.querySelector("[data-statement-pdf]");
    if (statement) statement.click();
    else window.print();
    return true;
  },
  "?": () => {
    const dialog = document.getElementById("shortcuts");
    if (!dialog || dialog.open) return false;
    dialog.showModal();
    return true;
  },
};

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || typing()) return;
  const action = shortcuts[event.key];
  if (action && action()) event.preventDefault();
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

// A customer page shown from the local copy asks QuickBooks to confirm it at once (the
// live check); when QuickBooks had something newer, the copy is updated and the page is
// redrawn in place. "Check QuickBooks now" repeats it. Without this script the link
// checks and comes back to the page.
async function checkCopy(status, now) {
  const state = status.querySelector(".check-state");
  state.textContent = "· checking QuickBooks…";
  let line;
  try {
    const url = status.dataset.check + (now ? "?now=1" : "");
    const response = await fetch(url, { headers: { "X-Fragment": "1" }, credentials: "same-origin" });
    if (response.redirected || !(response.headers.get("Content-Type") || "").startsWith("text/html")) {
      throw new Error("not the check");
    }
    line = new DOMParser().parseFromString(await response.text(), "text/html").body.firstElementChild;
    if (response.headers.get("X-Copy-Changed") === "1") {
      const page = await fetch(location.href, { credentials: "same-origin" });
      const fresh = new DOMParser().parseFromString(await page.text(), "text/html").getElementById("main");
      if (page.ok && fresh) {
        document.getElementById("main").replaceWith(document.importNode(fresh, true));
        status = document.getElementById("copy-status");
        document.querySelectorAll("#main [data-fragment]").forEach(loadParts);
      }
    }
  } catch {
    line = document.createElement("span");
    line.className = "check-result check-failed";
    line.textContent = "Could not reach the dashboard to check with QuickBooks. The figures are the copy’s.";
  }
  const target = status && status.querySelector(".check-state");
  if (target && line) {
    target.replaceChildren(document.createTextNode("· "), document.importNode(line, true));
  }
}
const copyStatus = document.getElementById("copy-status");
if (copyStatus) checkCopy(copyStatus, false);
document.addEventListener("click", (event) => {
  if (!event.target.closest("[data-check-now]")) return;
  const status = document.getElementById("copy-status");
  if (!status) return;
  event.preventDefault();
  checkCopy(status, true);
});

// The company search's amount box belongs to "Balance at least…" only.
document.addEventListener("change", (event) => {
  if (event.target.id !== "id_balance") return;
  const amount = document.getElementById("id_min_balance");
  if (!amount) return;
  amount.hidden = event.target.value !== "min";
  if (!amount.hidden) amount.focus();
});

// Folded sections print open: opened before printing and closed again after, for the
// browsers whose print stylesheet cannot open a closed <details> by itself.
let openedToPrint = [];
window.addEventListener("beforeprint", () => {
  openedToPrint = [...document.querySelectorAll("details:not([open])")];
  openedToPrint.forEach((details) => { details.open = true; });
});
window.addEventListener("afterprint", () => {
  openedToPrint.forEach((details) => { details.open = false; });
  openedToPrint = [];
});
