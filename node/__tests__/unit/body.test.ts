import { Readable } from 'stream'

import {
  bodyFormatOf,
  MAX_BODY_BYTES,
  parseJsonBody,
  readBody,
} from '../../input/body'
import { RequestError } from '../../input/requestError'
import { validateBatch } from '../../scores/validate'
import { requestErrorOf } from '../helpers/requestErrorOf'

const streamOf = (...chunks: Array<string | Buffer>) =>
  Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)))

describe('readBody', () => {
  it('resolves the text of the stream', async () => {
    await expect(readBody(streamOf('[{"id":', '1}]'), undefined)).resolves.toBe(
      '[{"id":1}]'
    )
  })

  it('decodes a UTF-8 character split across chunks', async () => {
    const bytes = Buffer.from('"é"')

    await expect(
      readBody(streamOf(bytes.subarray(0, 2), bytes.subarray(2)), undefined)
    ).resolves.toBe('"é"')
  })

  it('resolves an empty body as an empty string', async () => {
    await expect(readBody(streamOf(), '0')).resolves.toBe('')
  })

  it('accepts a body exactly at the limit', async () => {
    await expect(readBody(streamOf('12345'), '5', 5)).resolves.toBe('12345')
  })

  it('refuses a declared Content-Length over the limit without reading', async () => {
    const stream = streamOf('x'.repeat(100))
    const resume = jest.spyOn(stream, 'resume')
    const read = readBody(stream, '101', 100)

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
    const read = readBody(stream, undefined, 10)

    await expect(read).rejects.toMatchObject({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    })
  })

  it('refuses a body larger than a declared length that lied', async () => {
    await expect(
      readBody(streamOf('x'.repeat(20)), '5', 10)
    ).rejects.toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' })
  })

  it('rejects with 400 BODY_READ_ERROR when the stream fails', async () => {
    const stream = new Readable({
      read() {
        this.destroy(new Error('socket hang up'))
      },
    })

    await expect(readBody(stream, undefined)).rejects.toMatchObject({
      status: 400,
      code: 'BODY_READ_ERROR',
    })
  })

  it('defaults to a 10 MB limit', () => {
    expect(MAX_BODY_BYTES).toBe(10 * 1024 * 1024)
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
