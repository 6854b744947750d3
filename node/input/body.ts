import type { Readable } from 'stream'

import { RequestError } from './requestError'

export const MAX_BODY_BYTES = 10 * 1024 * 1024

const tooLarge = (limit: number) =>
  new RequestError(
    413,
    'PAYLOAD_TOO_LARGE',
    `The request body exceeds ${limit} bytes (${(limit / 1024 / 1024).toFixed(
      0
    )} MB).`
  )

/**
 * Reads the raw body as UTF-8, up to `limit` bytes. A declared length over
 * the limit is refused before reading; an undeclared one is refused as soon
 * as it passes the limit, and the rest is drained unbuffered.
 */
export function readBody(
  stream: Readable,
  declaredLength: string | undefined,
  limit = MAX_BODY_BYTES
) {
  if (declaredLength !== undefined && Number(declaredLength) > limit) {
    stream.resume()

    return Promise.reject(tooLarge(limit))
  }

  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0

    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        stream.removeListener('data', onData)
        chunks.length = 0
        stream.resume()
        reject(tooLarge(limit))

        return
      }

      chunks.push(chunk)
    }

    stream.on('data', onData)
    stream.once('error', () =>
      reject(
        new RequestError(
          400,
          'BODY_READ_ERROR',
          'The request body could not be read.'
        )
      )
    )
    stream.once('end', () => {
      if (size <= limit) resolve(Buffer.concat(chunks).toString('utf8'))
    })
  })
}

export type BodyFormat = 'json' | 'csv'

/** JSON is the default (a missing Content-Type is read as JSON); CSV comes as text/csv. */
export function bodyFormatOf(contentType: string | undefined): BodyFormat {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase()

  if (
    mediaType === '' ||
    mediaType === 'application/json' ||
    mediaType.endsWith('+json')
  ) {
    return 'json'
  }

  if (mediaType === 'text/csv') return 'csv'

  throw new RequestError(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    `Content-Type '${mediaType.slice(
      0,
      100
    )}' is not supported; send application/json or text/csv.`
  )
}

export function parseJsonBody(text: string): unknown {
  // A BOM is harmless; strip it rather than fail the whole upload.
  const body = text.replace(/^\uFEFF/, '')

  if (body.trim() === '') {
    throw new RequestError(
      400,
      'EMPTY_BODY',
      'The request body is empty: send a JSON array of { "id", "score" } items.'
    )
  }

  try {
    return JSON.parse(body)
  } catch (error) {
    throw new RequestError(
      400,
      'INVALID_JSON',
      `The request body is not valid JSON: ${
        error instanceof Error ? error.message.slice(0, 200) : 'parse error'
      }.`
    )
  }
}
