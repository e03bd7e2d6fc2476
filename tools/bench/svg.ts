/**
 * Draws the benchmark chart as plain SVG text (no dependencies): requests per publish and time
 * per publish against n, both log scale, for ours, the original's pattern and the floor.
 *
 * @module
 */

/** One line of a panel. */
export interface Series {
  /** The legend label. */
  label: string;
  /** Stroke colour. */
  color: string;
  /** Whether the line is dashed. */
  dashed?: boolean;
  /** Points `[n, value]`, n ascending. */
  points: [number, number][];
}

/** A panel: a title, a y-axis label and its lines. */
export interface Panel {
  /** Panel title. */
  title: string;
  /** Y-axis label. */
  yLabel: string;
  /** The lines. */
  series: Series[];
}

const WIDTH = 1010;
const PANEL_W = 400;
const PANEL_H = 300;
const TOP = 70;
const LEFT = [80, 560];

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Powers of ten covering `values`. */
function decades(values: number[]): [number, number] {
  const positive = values.filter((v) => v > 0);
  return [
    Math.floor(Math.log10(Math.min(...positive))),
    Math.ceil(Math.log10(Math.max(...positive))),
  ];
}

function tickLabel(exponent: number): string {
  const value = 10 ** exponent;
  if (exponent >= 3) return `${value / 1000}k`.replace("000k", "M");
  return exponent < 0 ? value.toFixed(-exponent) : String(value);
}

function axes(
  left: number,
  xRange: [number, number],
  yRange: [number, number],
  panel: Panel,
): string[] {
  const out: string[] = [];
  const x = (e: number) => left + ((e - xRange[0]) / (xRange[1] - xRange[0])) * PANEL_W;
  const y = (e: number) => TOP + PANEL_H - ((e - yRange[0]) / (yRange[1] - yRange[0])) * PANEL_H;
  for (let e = xRange[0]; e <= xRange[1]; e++) {
    out.push(`<line x1="${x(e)}" y1="${TOP}" x2="${x(e)}" y2="${TOP + PANEL_H}" class="grid"/>`);
    out.push(
      `<text x="${x(e)}" y="${TOP + PANEL_H + 16}" class="tick" text-anchor="middle">${
        tickLabel(e)
      }</text>`,
    );
  }
  for (let e = yRange[0]; e <= yRange[1]; e++) {
    out.push(`<line x1="${left}" y1="${y(e)}" x2="${left + PANEL_W}" y2="${y(e)}" class="grid"/>`);
    out.push(
      `<text x="${left - 6}" y="${y(e) + 4}" class="tick" text-anchor="end">${tickLabel(e)}</text>`,
    );
  }
  out.push(
    `<rect x="${left}" y="${TOP}" width="${PANEL_W}" height="${PANEL_H}" class="frame"/>`,
    `<text x="${left + PANEL_W / 2}" y="${TOP - 10}" class="title" text-anchor="middle">${
      escape(panel.title)
    }</text>`,
    `<text x="${left + PANEL_W / 2}" y="${
      TOP + PANEL_H + 34
    }" class="label" text-anchor="middle">payloads per publish (n)</text>`,
    `<text transform="translate(${left - 52} ${
      TOP + PANEL_H / 2
    }) rotate(-90)" class="label" text-anchor="middle">${escape(panel.yLabel)}</text>`,
  );
  return out;
}

function drawPanel(panel: Panel, left: number): string[] {
  const all = panel.series.flatMap((s) => s.points);
  const xRange = decades(all.map(([n]) => n));
  const yRange = decades(all.map(([, v]) => v));
  if (yRange[0] === yRange[1]) yRange[1]++;
  const x = (n: number) => left + ((Math.log10(n) - xRange[0]) / (xRange[1] - xRange[0])) * PANEL_W;
  const y = (v: number) =>
    TOP + PANEL_H - ((Math.log10(v) - yRange[0]) / (yRange[1] - yRange[0])) * PANEL_H;
  const out = axes(left, xRange, yRange, panel);
  for (const series of panel.series) {
    const points = series.points.filter(([, v]) => v > 0);
    const path = points.map(([n, v]) => `${x(n).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    const dash = series.dashed ? ` stroke-dasharray="6 4"` : "";
    out.push(
      `<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>`,
    );
    for (const [n, v] of points) {
      out.push(
        `<circle cx="${x(n).toFixed(1)}" cy="${
          y(v).toFixed(1)
        }" r="3" fill="${series.color}"><title>${
          escape(`${series.label}: n=${n}, ${v.toPrecision(3)}`)
        }</title></circle>`,
      );
    }
  }
  return out;
}

function legend(series: Series[], top: number): string[] {
  return series.flatMap((s, i) => {
    const left = LEFT[0] + (i % 3) * 290;
    const y = top + Math.floor(i / 3) * 18;
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    return [
      `<line x1="${left}" y1="${y}" x2="${
        left + 28
      }" y2="${y}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${left + 34}" y="${y + 4}" class="label">${escape(s.label)}</text>`,
    ];
  });
}

/** The whole chart: a title, two panels side by side, a legend and footer lines. */
export function renderChart(title: string, panels: [Panel, Panel], footer: string[]): string {
  const seen = new Set<string>();
  const legendSeries = panels.flatMap((p) => p.series).filter((s) =>
    !seen.has(s.label) && seen.add(s.label)
  );
  const legendTop = TOP + PANEL_H + 62;
  const footerTop = legendTop + Math.ceil(legendSeries.length / 3) * 18 + 14;
  const height = footerTop + footer.length * 16 + 10;
  const body = [
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="28" class="head" text-anchor="middle">${escape(title)}</text>`,
    ...drawPanel(panels[0], LEFT[0]),
    ...drawPanel(panels[1], LEFT[1]),
    ...legend(legendSeries, legendTop),
    ...footer.map((line, i) =>
      `<text x="${LEFT[0] - 50}" y="${footerTop + i * 16}" class="foot">${escape(line)}</text>`
    ),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    "<style>.grid{stroke:#e4e4e4}.frame{fill:none;stroke:#888}.tick{font-size:11px;fill:#555}" +
    ".label{font-size:12px;fill:#333}.title{font-size:14px;font-weight:bold;fill:#222}" +
    ".head{font-size:17px;font-weight:bold;fill:#111}.foot{font-size:11px;fill:#555}</style>",
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
