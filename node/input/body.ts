import type { IncomingHttpHeaders } from 'http'
import type { Readable } from 'stream'

import coBody from 'co-body'

import { RequestError } from './requestError'

export const MAX_BODY_BYTES = 10 * 1024 * 1024

/** What the body reader needs of a request: its stream and its headers. */
export type BodyStream = Readable & { headers: IncomingHttpHeaders }

const tooLarge = (limit: number) =>
  new RequestError(
    413,
    'PAYLOAD_TOO_LARGE',
    `The request body exceeds ${limit} bytes (${(limit / 1024 / 1024).toFixed(
      0
    )} MB).`
  )

/** raw-body's error types (co-body reads through raw-body), as our error codes. */
function requestErrorOf(error: unknown, limit: number): RequestError {
  const { type, status } = (error ?? {}) as { type?: string; status?: number }

  if (type === 'entity.too.large') return tooLarge(limit)

  // inflation (co-body's decompressor) throws a bare 415 for an unknown Content-Encoding.
  if (status === 415 && type === undefined) {
    return new RequestError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'The Content-Encoding is not supported; send the body uncompressed, or as gzip, deflate or br.'
    )
  }

  return new RequestError(
    400,
    'BODY_READ_ERROR',
    'The request body could not be read.'
  )
}

/** Stops feeding a body we refused, and lets the rest of it drain unbuffered. */
function drain(stream: Readable) {
  stream.unpipe()
  stream.resume()
}

/**
 * Reads the raw body, up to `limit` bytes, through co-body (raw-body under
 * it). A declared Content-Length over the limit is refused before reading;
 * an undeclared or lying one as soon as the count passes the limit. A gzip,
 * deflate or br body is inflated by co-body, and the limit counts inflated
 * bytes; its Content-Length is the compressed size, so co-body skips the
 * early refusal for it.
 *
 * Returned as bytes: the text encoding (UTF-8, or UTF-16 from Excel's
 * "Unicode Text") is decided by `decodeBody`.
 */
export async function readBody(
  stream: BodyStream,
  limit = MAX_BODY_BYTES
): Promise<Buffer> {
  try {
    // co-body's types say `encoding` is a string, but `null` makes raw-body return a Buffer.
    return (await coBody.text(stream as never, {
      limit,
      encoding: null as unknown as string,
    })) as Buffer
  } catch (error) {
    // raw-body leaves a refused stream paused; drain it so the answer can reach the caller.
    drain(stream)
    throw requestErrorOf(error, limit)
  }
}

/**
 * The body as text: UTF-16 when it starts with a UTF-16 byte-order mark (what
 * Excel's "Unicode Text" export writes), UTF-8 otherwise. A BOM is dropped.
 */
export function decodeBody(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return bytes.subarray(2).toString('utf16le')
  }

  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2))

    return swapped.swap16().toString('utf16le')
  }

  return bytes.toString('utf8').replace(/^\uFEFF/, '')
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
