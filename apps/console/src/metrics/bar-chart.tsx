import { useId } from 'react';
import { axisNumber, gridLines, largestValue, niceCeiling } from './chart-scale.js';

// A small bar chart drawn as SVG: a few series of one value per minute, side by side. Hand-written
// rather than a chart library: 60 groups of bars are a few dozen lines of SVG, it needs no canvas,
// inline style or font loading (the console's Content-Security-Policy allows none), and the same
// numbers are offered as a table for screen readers and keyboard users.

export interface ChartSeries {
  readonly label: string;
  /** A class of styles.css that colours it. */
  readonly className: string;
  readonly values: readonly (number | null)[];
}

const WIDTH = 640;
const HEIGHT = 180;
const LEFT = 44;
const BOTTOM = 22;
const TOP = 8;

export function BarChart(props: {
  readonly title: string;
  readonly summary: string;
  readonly unit: string;
  /** The label of each column (e.g. its minute, `10:42`). */
  readonly columns: readonly string[];
  readonly series: readonly ChartSeries[];
}) {
  const id = useId();
  const ceiling = niceCeiling(largestValue(props.series.map((series) => series.values)));
  const plotWidth = WIDTH - LEFT - 4;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const columnWidth = plotWidth / Math.max(1, props.columns.length);
  const barWidth = Math.max(1, (columnWidth - 1) / Math.max(1, props.series.length));
  const y = (value: number) => TOP + plotHeight - (value / ceiling) * plotHeight;
  const labelEvery = Math.max(1, Math.ceil(props.columns.length / 6));

  return (
    <figure className="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>
        <strong>{props.title}</strong>
        <ul className="legend" aria-label="Series">
          {props.series.map((series) => (
            <li key={series.label}>
              <span className={`swatch ${series.className}`} aria-hidden="true" /> {series.label}
            </li>
          ))}
        </ul>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-summary`}
        preserveAspectRatio="none"
      >
        <desc id={`${id}-summary`}>{props.summary}</desc>
        {gridLines(ceiling).map((value) => (
          <g key={value} className="grid">
            <line x1={LEFT} x2={WIDTH} y1={y(value)} y2={y(value)} />
            <text x={LEFT - 4} y={y(value) + 4} textAnchor="end">
              {axisNumber(value)}
            </text>
          </g>
        ))}
        {props.columns.map((column, index) => (
          <g key={column}>
            {props.series.map((series, seriesIndex) => {
              const value = series.values[index] ?? null;
              if (value === null || value <= 0) return null;
              return (
                <rect
                  key={series.label}
                  className={series.className}
                  x={LEFT + index * columnWidth + seriesIndex * barWidth}
                  y={y(value)}
                  width={barWidth}
                  height={TOP + plotHeight - y(value)}
                />
              );
            })}
            {index === props.columns.length - 1 ? (
              <text className="axis" x={WIDTH - 2} y={HEIGHT - 6} textAnchor="end">
                {column}
              </text>
            ) : index % labelEvery === 0 && index < props.columns.length - labelEvery / 2 ? (
              <text className="axis" x={LEFT + index * columnWidth} y={HEIGHT - 6}>
                {column}
              </text>
            ) : null}
          </g>
        ))}
      </svg>
      <details>
        <summary>The numbers ({props.unit})</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Minute</th>
              {props.series.map((series) => (
                <th key={series.label} scope="col">
                  {series.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.columns.map((column, index) =>
              props.series.every(
                (series) => (series.values[index] ?? null) === null || series.values[index] === 0,
              ) ? null : (
                <tr key={column}>
                  <th scope="row">{column}</th>
                  {props.series.map((series) => {
                    const value = series.values[index] ?? null;
                    return <td key={series.label}>{value === null ? '-' : axisNumber(value)}</td>;
                  })}
                </tr>
              ),
            )}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
