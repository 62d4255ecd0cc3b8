// A horizontal bar chart as a standalone SVG document, log scale: each figure with its target as
// a tick mark, a legend and a labelled axis. bars: [{ label, value, mark?, pass?, baseline? }]

const escape = (s) =>
  String(s)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
const COLORS = { pass: '#2e7d32', miss: '#c62828', baseline: '#9e9e9e', info: '#1565c0' };
const LEGEND = [
  [COLORS.pass, 'target met'],
  [COLORS.miss, 'target missed'],
  [COLORS.info, 'no target'],
  [COLORS.baseline, 'baseline'],
];
/** Width of a 12 px sans-serif label, generously: no label may run off the left edge. */
const textWidth = (text) => String(text).length * 6.8;

/** `title`: the chart's heading; `subtitle`: a second line (what was run). */
export function renderSvg(bars, title, subtitle = '') {
  const left = Math.max(230, Math.ceil(Math.max(0, ...bars.map((b) => textWidth(b.label))) + 20));
  const plot = 600;
  const width = left + plot + 90;
  const rowHeight = 26;
  const top = subtitle ? 84 : 68;
  const plotBottom = top + Math.max(1, bars.length) * rowHeight + 6;
  const height = plotBottom + 44;
  const max = Math.max(10, ...bars.flatMap((b) => [b.value, b.mark ?? 0])) * 1.3;
  const decades = Math.ceil(Math.log10(max));
  const x = (v) => left + (Math.log10(Math.max(1, v)) / decades) * plot;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12" role="img" aria-labelledby="chart-title chart-desc">`,
    `<title id="chart-title">${escape(title)}</title>`,
    `<desc id="chart-desc">${escape(`${bars.length} figures per second on a log scale, each with its target as a tick${subtitle ? `; ${subtitle}` : ''}`)}</desc>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  if (subtitle) out.push(`<text x="10" y="40" fill="#444">${escape(subtitle)}</text>`);
  // Legend: colour swatches, then the target tick.
  let lx = 10;
  const ly = top - 26;
  for (const [color, text] of LEGEND) {
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${lx + 17}" y="${ly}">${escape(text)}</text>`);
    lx += 17 + textWidth(text) + 18;
  }
  out.push(
    `<line x1="${lx + 5}" y1="${ly - 12}" x2="${lx + 5}" y2="${ly + 3}" stroke="black" stroke-width="2"/>`,
    `<text x="${lx + 13}" y="${ly}">target</text>`,
  );
  for (let d = 0; d <= decades; d++) {
    const gx = x(10 ** d);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${plotBottom}" stroke="#e0e0e0"/>`);
    out.push(
      `<text x="${gx}" y="${plotBottom + 16}" text-anchor="middle" fill="#444">${(10 ** d).toLocaleString('en-US')}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" y1="${plotBottom}" x2="${left + plot}" y2="${plotBottom}" stroke="#888"/>`,
    `<text x="${left + plot / 2}" y="${plotBottom + 36}" text-anchor="middle" fill="#222">per second (requests, orders, votes or calls, as each label says), log scale</text>`,
  );
  if (!bars.length)
    out.push(
      `<text x="${left}" y="${top + 20}" fill="#555">no main figures in this run (see the JSON)</text>`,
    );
  bars.forEach((bar, i) => {
    const y = top + i * rowHeight;
    const color = bar.baseline
      ? COLORS.baseline
      : bar.pass === undefined
        ? COLORS.info
        : bar.pass
          ? COLORS.pass
          : COLORS.miss;
    out.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${escape(bar.label)}</text>`);
    out.push(
      `<rect x="${left}" y="${y + 3}" width="${Math.max(1, x(bar.value) - left)}" height="${rowHeight - 8}" fill="${color}"/>`,
    );
    const value = Math.round(bar.value).toLocaleString('en-US');
    // The figure after its bar, or after the target's tick where the tick would cross it.
    let tx = x(bar.value) + 5;
    if (bar.mark && x(bar.mark) > tx - 4 && x(bar.mark) < tx + textWidth(value) + 2)
      tx = x(bar.mark) + 5;
    out.push(`<text x="${tx}" y="${y + 15}">${value}</text>`);
    if (bar.mark)
      out.push(
        `<line x1="${x(bar.mark)}" y1="${y}" x2="${x(bar.mark)}" y2="${y + rowHeight - 2}" stroke="black" stroke-width="2"/>`,
      );
  });
  out.push('</svg>', '');
  return out.join('\n');
}
