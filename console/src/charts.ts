/**
 * Chart.js with only the parts the console draws (bar charts, a legend and tooltips), so the rest of the library
 * stays out of the bundle. Animations are off: values appear at once and screenshots are stable.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartDataset,
  Legend,
  LinearScale,
  type Plugin,
  Tooltip,
} from 'chart.js';
import { h } from './dom';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const PALETTE = ['#2563eb', '#d97706', '#059669', '#9333ea'];

/** A vertical line at a category index with a label, e.g. a percentile cut on the histogram. */
export interface Marker {
  readonly index: number;
  readonly label: string;
  readonly color: string;
}

const markerPlugin: Plugin<'bar', { markers?: readonly Marker[] }> = {
  id: 'markers',
  afterDatasetsDraw(chart, _args, options) {
    const x = chart.scales.x;
    const area = chart.chartArea;
    if (x === undefined) return;
    const ctx = chart.ctx;
    for (const [row, m] of (options.markers ?? []).entries()) {
      const px = x.getPixelForValue(m.index);
      ctx.save();
      ctx.strokeStyle = m.color;
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      ctx.fillStyle = m.color;
      ctx.font = '12px system-ui, sans-serif';
      ctx.textAlign = px > (area.left + area.right) / 2 ? 'right' : 'left';
      ctx.fillText(m.label, px + (ctx.textAlign === 'right' ? -4 : 4), area.top + 12 + 16 * row);
      ctx.restore();
    }
  },
};

/** A canvas in a sized box, labelled for screen readers by `summary`. */
export function chartBox(summary: string): { box: HTMLDivElement; canvas: HTMLCanvasElement } {
  const canvas = h('canvas', { role: 'img', 'aria-label': summary });
  return { box: h('div', { class: 'chart' }, canvas), canvas };
}

export interface BarOptions {
  readonly labels: readonly string[];
  readonly series: readonly {
    readonly label: string;
    readonly values: readonly number[];
    readonly colors?: readonly string[];
  }[];
  readonly xTitle?: string;
  readonly yTitle?: string;
  readonly markers?: readonly Marker[];
  readonly horizontal?: boolean;
}

export function barChart(canvas: HTMLCanvasElement, o: BarOptions): Chart<'bar'> {
  const datasets: ChartDataset<'bar', number[]>[] = o.series.map((s, i) => ({
    label: s.label,
    data: [...s.values],
    backgroundColor: s.colors ? [...s.colors] : (PALETTE[i % PALETTE.length] as string),
    barPercentage: o.markers ? 1 : 0.9,
    categoryPercentage: o.markers ? 1 : 0.8,
  }));
  return new Chart<'bar', number[], string>(canvas, {
    type: 'bar',
    data: { labels: [...o.labels], datasets },
    plugins: [markerPlugin as Plugin<'bar'>],
    options: {
      animation: false,
      maintainAspectRatio: false,
      indexAxis: o.horizontal ? 'y' : 'x',
      plugins: {
        legend: { display: o.series.length > 1 },
        // biome-ignore lint/suspicious/noExplicitAny: the plugin's options are not part of Chart.js's typed registry
        ...({ markers: { markers: o.markers ?? [] } } as any),
      },
      scales: {
        x: { title: { display: o.xTitle !== undefined, text: o.xTitle ?? '' } },
        y: { beginAtZero: true, title: { display: o.yTitle !== undefined, text: o.yTitle ?? '' } },
      },
    },
  });
}
