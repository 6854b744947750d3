/**
 * Reads a report as a client would, piece by piece, keeping only counts: the
 * reader holds no copy, so what it measures is the service's memory.
 */
export async function readReport(
  url: string,
  headers: Record<string, string>
): Promise<{ status: number; bytes: number; lines: number }> {
  const response = await fetch(url, { headers })
  let bytes = 0
  let lines = 0

  for await (const piece of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += piece.length
    for (const byte of piece) if (byte === 10) lines += 1
  }

  return { status: response.status, bytes, lines }
}
