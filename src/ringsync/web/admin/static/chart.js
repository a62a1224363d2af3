// Draw the "synced and failed records over time" bars as inline SVG from the figure's JSON.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 720;
const HEIGHT = 180;
const PAD = 28;

function node(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) {
    element.setAttribute(key, String(value));
  }
  if (text !== undefined) {
    element.textContent = text;
  }
  return element;
}

function label(start, unit) {
  const when = new Date(start);
  if (unit === "hour") {
    return `${String(when.getUTCHours()).padStart(2, "0")}h`;
  }
  return `${when.getUTCMonth() + 1}/${when.getUTCDate()}`;
}

export function drawChart(figure) {
  const canvas = figure.querySelector(".chart-canvas");
  if (!canvas) {
    return;
  }
  let series = [];
  try {
    series = JSON.parse(figure.dataset.series || "[]");
  } catch (ignored) {
    series = [];
  }
  const unit = figure.dataset.unit || "hour";
  const top = Math.max(1, ...series.map((b) => Math.max(b.synced, b.failed)));
  const svg = node("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "bars", role: "presentation" });
  const plotHeight = HEIGHT - 2 * PAD;
  const slot = (WIDTH - 2 * PAD) / Math.max(1, series.length);
  const bar = Math.max(2, slot / 2 - 2);
  svg.append(node("line", { x1: PAD, y1: HEIGHT - PAD, x2: WIDTH - PAD, y2: HEIGHT - PAD, class: "axis" }));
  svg.append(node("text", { x: 2, y: PAD, class: "tick" }, String(top)));
  series.forEach((bucket, index) => {
    const x = PAD + index * slot;
    const synced = (bucket.synced / top) * plotHeight;
    const failed = (bucket.failed / top) * plotHeight;
    svg.append(node("rect", { x, y: HEIGHT - PAD - synced, width: bar, height: synced, class: "synced" }));
    svg.append(node("rect", { x: x + bar + 1, y: HEIGHT - PAD - failed, width: bar, height: failed, class: "failed" }));
    if (index % Math.ceil(series.length / 8) === 0) {
      svg.append(node("text", { x, y: HEIGHT - 8, class: "tick" }, label(bucket.start, unit)));
    }
  });
  canvas.replaceChildren(svg);
}
