// Small charts as inline SVG, drawn with DOM calls (no library, nothing inline for the CSP to refuse).
const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 320;
const HEIGHT = 72;
const PAD = 4;

function svgEl(tag, attributes) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

/** `unit` is a word (`ms`) or its singular and plural (`['event', 'events']`). */
const quantity = (n, unit) => `${n} ${Array.isArray(unit) ? unit[n === 1 ? 0 : 1] : unit}`;

function frame(svg, max, unit) {
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.replaceChildren(
    ...svg.querySelectorAll(':scope > title'),
    svgEl('line', { x1: 0, y1: HEIGHT - PAD, x2: WIDTH, y2: HEIGHT - PAD, class: 'axis' }),
    Object.assign(svgEl('text', { x: WIDTH - 2, y: 11, 'text-anchor': 'end', class: 'scale' }), {
      textContent: quantity(max, unit),
    }),
  );
}

const y = (value, max) => HEIGHT - PAD - (Math.min(value, max) / max) * (HEIGHT - 2 * PAD - 10);

/** A line over the last samples (oldest left). The chart's text alternative is set by the caller. */
export function sparkline(svg, values, unit) {
  const max = Math.max(1, ...values.filter(Number.isFinite));
  frame(svg, Math.ceil(max), unit);
  if (values.length === 0) return;
  const step = values.length > 1 ? WIDTH / (values.length - 1) : 0;
  const points = values.map(
    (v, i) => `${(i * step).toFixed(1)},${y(Number.isFinite(v) ? v : max, max).toFixed(1)}`,
  );
  svg.append(
    svgEl('polygon', {
      points: `0,${HEIGHT - PAD} ${points.join(' ')} ${((values.length - 1) * step).toFixed(1)},${HEIGHT - PAD}`,
      class: 'area',
    }),
    svgEl('polyline', { points: points.join(' '), class: 'line' }),
  );
}

/** One bar per value (oldest left). */
export function bars(svg, values, unit) {
  const max = Math.max(1, ...values);
  frame(svg, Math.ceil(max), unit);
  const slot = WIDTH / Math.max(values.length, 20);
  values.forEach((v, i) => {
    const top = y(v, max);
    svg.append(
      svgEl('rect', {
        x: (i * slot + 1).toFixed(1),
        y: top.toFixed(1),
        width: Math.max(1, slot - 2).toFixed(1),
        height: Math.max(1, HEIGHT - PAD - top).toFixed(1),
        class: 'bar',
      }),
    );
  });
}
