// What a reader sees at the current viewport (tests/browser/test_reader.py; also run by hand with
// Playwright): each diagram's smallest text in CSS px (SVG font size × rendered width / viewBox
// width; <img> SVGs are fetched and parsed) and the example outputs wider than their box (a <pre>,
// or a table inside it, whose scrollWidth exceeds its clientWidth).
async () => {
  // Diagrams: <img> SVGs (fetched, font sizes × rendered width / viewBox width) and inline SVGs.
  const minFont = (svg, renderedWidth) => {
    const vb = svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width ? svg.viewBox.baseVal.width : parseFloat(svg.getAttribute("width"));
    let min = Infinity;
    for (const t of svg.querySelectorAll("text")) {
      if (!t.textContent.trim()) continue;
      const fs = parseFloat(t.getAttribute("font-size") || "14");
      min = Math.min(min, fs);
    }
    return { min: min * renderedWidth / vb, vb };
  };
  const diagrams = [];
  for (const img of document.querySelectorAll("article img[src$='.svg']")) {
    const text = await (await fetch(img.src)).text();
    const svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
    const { min, vb } = minFont(svg, img.getBoundingClientRect().width);
    diagrams.push({ src: img.getAttribute("src"), px: Math.round(min * 10) / 10, width: Math.round(img.getBoundingClientRect().width), vb });
  }
  for (const svg of document.querySelectorAll("article .k8s-run__diagram svg")) {
    const { min, vb } = minFont(svg, svg.getBoundingClientRect().width);
    diagrams.push({ src: "inline", px: Math.round(min * 10) / 10, width: Math.round(svg.getBoundingClientRect().width), vb });
  }
  const outs = [...document.querySelectorAll("article .k8s-run__out > pre")];
  const over = (p) => [p, ...p.querySelectorAll(".k8s-run__table")].some((e) => e.scrollWidth > e.clientWidth + 1);
  const wide = outs.filter(over).map((p) => ({ over: Math.max(...[p, ...p.querySelectorAll(".k8s-run__table")].map((e) => e.scrollWidth - e.clientWidth)), first: p.textContent.split("\n").find((l) => l.length > 0).slice(0, 60) }));
  return { diagrams, outputs: outs.length, wide };
}
