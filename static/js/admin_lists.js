// Admin lists on a phone: admin.css stacks each row into a card; this names each cell by
// its column (data-label), so a value is never read without its heading. Without this
// script the list still scrolls sideways as Django's own does.
for (const table of document.querySelectorAll("#result_list")) {
  const labels = [...(table.tHead ? table.tHead.rows[0].cells : [])].map((th) => th.textContent.trim());
  for (const row of table.tBodies[0]?.rows ?? []) {
    [...row.cells].forEach((cell, i) => {
      if (labels[i]) cell.dataset.label = labels[i];
    });
  }
}
