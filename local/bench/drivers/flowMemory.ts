/**
 * The app's flow memory (what its flow controller learned of the Catalog's
 * rate) in the emulator's VBase, as the bench reads, ages or removes it
 * between replicas. The emulator serves VBase as an HTTP proxy, so requests
 * carry the absolute URL the service's VBase client would use.
 */
import http from 'http'

import manifest from '../../../manifest.json'

const FILE_URL = `http://infra.io.vtex.com/vbase/v2/local/master/buckets/${manifest.vendor}.${manifest.name}/flow-memory/files/catalog.json`

function viaEmulator(
  emulatorUrl: string,
  method: 'GET' | 'PUT' | 'DELETE',
  body?: string
): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(emulatorUrl)

  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname,
        port,
        method,
        path: FILE_URL,
        headers: body ? { 'Content-Type': 'application/json' } : {},
      },
      (res) => {
        let text = ''

        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      }
    )

    req.on('error', reject)
    req.end(body)
  })
}

export interface StoredMemory {
  ratePerSec: number | null
  measuredAt: number
  [field: string]: unknown
}

/** The memory the last replica wrote, or undefined. */
export async function readFlowMemory(
  emulatorUrl: string
): Promise<StoredMemory | undefined> {
  const { status, text } = await viaEmulator(emulatorUrl, 'GET')

  return status === 200 ? (JSON.parse(text) as StoredMemory) : undefined
}

/** Stores `memory` as measured `ageMs` ago: how old a store's memory is when its next batch comes. */
export async function writeAgedFlowMemory(
  emulatorUrl: string,
  memory: StoredMemory,
  ageMs: number
) {
  await viaEmulator(
    emulatorUrl,
    'PUT',
    JSON.stringify({ ...memory, measuredAt: Date.now() - ageMs })
  )
}

/** No memory: the replica starts as it did before warm start. */
export async function removeFlowMemory(emulatorUrl: string) {
  await viaEmulator(emulatorUrl, 'DELETE')
}
