import * as vega from 'vega'
import { compile, TopLevelSpec } from 'vega-lite'

export interface ChartPoint {
  runner: string
  items: number
  itemsPerSec: number
}

/** Items/s against batch size for each runner, with the physical limit as a rule; rendered to SVG by Vega. */
export async function renderThroughputChart(
  title: string,
  points: ChartPoint[],
  limit: number
): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    height: 260,
    layer: [
      {
        data: { values: points },
        mark: { type: 'line', point: true },
        encoding: {
          x: {
            field: 'items',
            type: 'quantitative',
            scale: { type: 'log' },
            title: 'batch size (items)',
          },
          y: { field: 'itemsPerSec', type: 'quantitative', title: 'items/s' },
          color: { field: 'runner', type: 'nominal', title: 'runner' },
        },
      },
      {
        data: {
          values: [
            { limit, label: `physical limit ${limit.toFixed(0)} items/s` },
          ],
        },
        mark: { type: 'rule', strokeDash: [6, 4], color: 'black' },
        encoding: { y: { field: 'limit', type: 'quantitative' } },
      },
      {
        data: {
          values: [
            { limit, label: `physical limit ${limit.toFixed(0)} items/s` },
          ],
        },
        mark: { type: 'text', align: 'left', dx: 4, dy: -6, x: 0 },
        encoding: {
          y: { field: 'limit', type: 'quantitative' },
          text: { field: 'label' },
        },
      },
    ],
  }

  const view = new vega.View(vega.parse(compile(spec).spec), {
    renderer: 'none',
  })

  return view.toSVG()
}
