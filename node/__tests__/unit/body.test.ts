import { Readable } from 'stream'

import { gzipSync } from 'zlib'

import {
  BodyStream,
  bodyFormatOf,
  decodeBody,
  MAX_BODY_BYTES,
  parseJsonBody,
  readBody,
} from '../../input/body'
import { RequestError } from '../../input/requestError'
import { validateBatch } from '../../scores/validate'
import { requestErrorOf } from '../helpers/requestErrorOf'

/** A request body: its chunks, and the headers co-body reads (Content-Length, Content-Encoding). */
const requestOf = (
  headers: Record<string, string>,
  ...chunks: Array<string | Buffer>
): BodyStream =>
  Object.assign(
    Readable.from(
      chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))
    ),
    { headers }
  )

const streamOf = (...chunks: Array<string | Buffer>) => requestOf({}, ...chunks)

const text = async (read: Promise<Buffer>) => decodeBody(await read)

describe('readBody', () => {
  it('resolves the bytes of the stream', async () => {
    await expect(text(readBody(streamOf('[{"id":', '1}]')))).resolves.toBe(
      '[{"id":1}]'
    )
  })

  it('decodes a UTF-8 character split across chunks', async () => {
    const bytes = Buffer.from('"é"')

    await expect(
      text(readBody(streamOf(bytes.subarray(0, 2), bytes.subarray(2))))
    ).resolves.toBe('"é"')
  })

  it('resolves an empty body as an empty string', async () => {
    await expect(
      text(readBody(requestOf({ 'content-length': '0' })))
    ).resolves.toBe('')
  })

  it('accepts a body exactly at the limit', async () => {
    await expect(
      text(readBody(requestOf({ 'content-length': '5' }, '12345'), 5))
    ).resolves.toBe('12345')
  })

  it('inflates a gzip body, and counts the limit on the inflated bytes', async () => {
    const zipped = gzipSync(Buffer.from('x'.repeat(1000)))
    const headers = {
      'content-encoding': 'gzip',
      'content-length': String(zipped.length),
    }

    await expect(
      text(readBody(requestOf(headers, zipped), 1000))
    ).resolves.toHaveLength(1000)
    await expect(
      readBody(requestOf(headers, zipped), 999)
    ).rejects.toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' })
  })

  it('refuses an unknown Content-Encoding with 415', async () => {
    await expect(
      readBody(requestOf({ 'content-encoding': 'compress' }, 'x'))
    ).rejects.toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' })
  })

  it('refuses a body shorter than its Content-Length with 400 BODY_READ_ERROR', async () => {
    await expect(
      readBody(requestOf({ 'content-length': '10' }, '12345'))
    ).rejects.toMatchObject({ status: 400, code: 'BODY_READ_ERROR' })
  })

  it('refuses a declared Content-Length over the limit without reading', async () => {
    const stream = requestOf({ 'content-length': '101' }, 'x'.repeat(100))
    const resume = jest.spyOn(stream, 'resume')
    const read = readBody(stream, 100)

    await expect(read).rejects.toBeInstanceOf(RequestError)
    await expect(read).rejects.toMatchObject({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    })
    // Drained, never buffered: readBody attached no data listener.
    expect(resume).toHaveBeenCalled()
    expect(stream.listenerCount('data')).toBe(0)
  })

  it('refuses a streamed body that grows past the limit', async () => {
    const stream = streamOf('aaaa', 'bbbb', 'cccc', 'dddd')
    const read = readBody(stream, 10)

    await expect(read).rejects.toMatchObject({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    })
  })

  it('refuses a body larger than a declared length that lied', async () => {
    await expect(
      readBody(requestOf({ 'content-length': '5' }, 'x'.repeat(20)), 10)
    ).rejects.toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' })
  })

  it('rejects with 400 BODY_READ_ERROR when the stream fails', async () => {
    const stream = Object.assign(
      new Readable({
        read() {
          this.destroy(new Error('socket hang up'))
        },
      }),
      { headers: {} }
    )

    await expect(readBody(stream)).rejects.toMatchObject({
      status: 400,
      code: 'BODY_READ_ERROR',
    })
  })

  it('defaults to a 10 MB limit', () => {
    expect(MAX_BODY_BYTES).toBe(10 * 1024 * 1024)
  })
})

describe('decodeBody', () => {
  it('reads UTF-8 and drops its BOM', () => {
    expect(decodeBody(Buffer.from('\uFEFFid,score', 'utf8'))).toBe('id,score')
  })

  it('reads UTF-16 LE with its BOM, as Excel saves "Unicode Text"', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('id\tscore\r\n1\t2é', 'utf16le'),
    ])

    expect(decodeBody(bytes)).toBe('id\tscore\r\n1\t2é')
  })

  it('reads UTF-16 BE with its BOM', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xfe, 0xff]),
      Buffer.from('id,score', 'utf16le').swap16(),
    ])

    expect(decodeBody(bytes)).toBe('id,score')
  })
})

describe('bodyFormatOf', () => {
  it.each([
    [undefined],
    [''],
    ['application/json'],
    ['application/json; charset=utf-8'],
    ['Application/JSON'],
    [' application/json ; charset=UTF-8'],
    ['application/vnd.api+json'],
  ])('reads %p as json', (contentType) => {
    expect(bodyFormatOf(contentType)).toBe('json')
  })

  it.each([['text/csv'], ['text/csv; charset=utf-8'], ['Text/CSV']])(
    'reads %p as csv',
    (contentType) => {
      expect(bodyFormatOf(contentType)).toBe('csv')
    }
  )

  it.each([
    ['text/plain'],
    ['application/x-www-form-urlencoded'],
    ['multipart/form-data; boundary=x'],
    ['application/csv'],
    ['application/jsonp'],
  ])('refuses %p with 415 UNSUPPORTED_MEDIA_TYPE', (contentType) => {
    const error = requestErrorOf(() => bodyFormatOf(contentType))

    expect(error.status).toBe(415)
    expect(error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    expect(error.message).toContain(contentType.split(';')[0])
  })

  it('truncates a huge media type in the message', () => {
    const error = requestErrorOf(() => bodyFormatOf(`text/${'x'.repeat(5000)}`))

    expect(error.message.length).toBeLessThan(300)
  })
})

describe('parseJsonBody', () => {
  it.each([[''], ['   '], ['\n\t '], ['\uFEFF'], ['\uFEFF  ']])(
    'refuses %p with 400 EMPTY_BODY',
    (text) => {
      const error = requestErrorOf(() => parseJsonBody(text))

      expect(error.status).toBe(400)
      expect(error.code).toBe('EMPTY_BODY')
    }
  )

  it.each([['{'], ['[1,]'], ["{'id': 1}"], ['undefined'], ['[{"id":1}]x']])(
    'refuses %p with 400 INVALID_JSON',
    (text) => {
      const error = requestErrorOf(() => parseJsonBody(text))

      expect(error.status).toBe(400)
      expect(error.code).toBe('INVALID_JSON')
      expect(error.message).toMatch(/^The request body is not valid JSON: /)
    }
  )

  it('parses JSON', () => {
    expect(parseJsonBody('[{"id":1,"score":"2"}]')).toEqual([
      { id: 1, score: '2' },
    ])
  })

  it('strips a BOM', () => {
    expect(parseJsonBody('\uFEFF[{"id":1,"score":2}]')).toEqual([
      { id: 1, score: 2 },
    ])
  })

  it('parses 1e400 to Infinity, which validateBatch then rejects', () => {
    const body = parseJsonBody('[{"id":1,"score":1e400}]')

    expect(body).toEqual([{ id: 1, score: Infinity }])

    const validation = validateBatch(body, { maxItems: 10 })

    expect(validation.ok).toBe(false)
    expect(
      !validation.ok && validation.invalid[0].problems.map((p) => p.code)
    ).toEqual(['INVALID_SCORE'])
  })
})
