import * as vega from 'vega'
import { compile, TopLevelSpec } from 'vega-lite'

export interface FlowPoint {
  t: number
  requestsPerSec: number
  inFlight: number
  rateLimitedPerSec: number
}

/**
 * One batch over time: the request rate and its 429s against the Catalog's
 * limit (top), and the calls in flight, time-weighted over each step
 * (bottom), so a reader sees the
 * controller find the limit and come back after a breaker phase.
 */
export async function renderFlowChart(
  title: string,
  points: FlowPoint[],
  limitPerSec: number | null
): Promise<string> {
  const rates = points.flatMap((p) => [
    { t: p.t, series: 'requests/s', value: p.requestsPerSec },
    { t: p.t, series: '429s/s', value: p.rateLimitedPerSec },
  ])
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    vconcat: [
      {
        width: 520,
        height: 200,
        layer: [
          {
            data: { values: rates },
            mark: { type: 'line', interpolate: 'step-after' },
            encoding: {
              x: { field: 't', type: 'quantitative', title: 'seconds' },
              y: {
                field: 'value',
                type: 'quantitative',
                title: 'Catalog requests/s',
              },
              color: { field: 'series', type: 'nominal', title: null },
            },
          },
          ...(limitPerSec
            ? [
                {
                  data: {
                    values: [
                      {
                        limit: limitPerSec,
                        label: `limit ${limitPerSec.toFixed(0)} req/s`,
                      },
                    ],
                  },
                  layer: [
                    {
                      mark: {
                        type: 'rule' as const,
                        strokeDash: [6, 4],
                        color: 'black',
                      },
                      encoding: {
                        y: { field: 'limit', type: 'quantitative' as const },
                      },
                    },
                    {
                      mark: {
                        type: 'text' as const,
                        align: 'left' as const,
                        dx: 4,
                        dy: -6,
                        x: 0,
                      },
                      encoding: {
                        y: { field: 'limit', type: 'quantitative' as const },
                        text: { field: 'label' },
                      },
                    },
                  ],
                },
              ]
            : []),
        ],
      },
      {
        width: 520,
        height: 120,
        data: { values: points },
        mark: { type: 'area', interpolate: 'step-after', opacity: 0.6 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds' },
          y: {
            field: 'inFlight',
            type: 'quantitative',
            title: 'mean in flight',
          },
        },
      },
    ],
  }

  const view = new vega.View(vega.parse(compile(spec).spec), {
    renderer: 'none',
  })

  return view.toSVG()
}
