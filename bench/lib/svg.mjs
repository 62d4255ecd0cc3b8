// A horizontal bar chart as SVG text, log scale: each figure with its target as a tick mark.
// bars: [{ label, value, mark?, pass?, baseline? }]

const escape = (s) =>
  String(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const COLORS = { pass: '#2e7d32', miss: '#c62828', baseline: '#9e9e9e', info: '#1565c0' };

export function renderSvg(bars, title) {
  const left = 230;
  const width = 920;
  const plot = width - left - 90;
  const rowHeight = 28;
  const top = 50;
  const height = top + Math.max(1, bars.length) * rowHeight + 40;
  const max = Math.max(10, ...bars.flatMap((b) => [b.value, b.mark ?? 0])) * 1.3;
  const decades = Math.ceil(Math.log10(max));
  const x = (v) => left + (Math.log10(Math.max(1, v)) / decades) * plot;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="13" font-weight="bold">${escape(title)}</text>`,
    `<text x="10" y="38" fill="#555">per second, log scale; tick = target; green met, red missed, grey baselines</text>`,
  ];
  for (let d = 0; d <= decades; d++) {
    const gx = x(10 ** d);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${height - 30}" stroke="#e0e0e0"/>`);
    out.push(
      `<text x="${gx}" y="${height - 14}" text-anchor="middle" fill="#555">${(10 ** d).toLocaleString('en-US')}</text>`,
    );
  }
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
    out.push(
      `<text x="${x(bar.value) + 5}" y="${y + 15}">${Math.round(bar.value).toLocaleString('en-US')}</text>`,
    );
    if (bar.mark)
      out.push(
        `<line x1="${x(bar.mark)}" y1="${y}" x2="${x(bar.mark)}" y2="${y + rowHeight - 2}" stroke="black" stroke-width="2"/>`,
      );
  });
  out.push('</svg>');
  return out.join('\n');
}
