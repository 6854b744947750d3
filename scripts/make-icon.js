#!/usr/bin/env node
// Writes public/metadata/images/icon.png: the App Store icon, 1024x1024, a
// solid background (VTEX's marketing guidelines ask for both) with a rising
// bar chart, the Scores going up. Plain Node: the PNG is encoded here, with
// zlib for the compressed image data. Re-run: `node scripts/make-icon.js`.
const fs = require('fs')
const path = require('path')
const zlib = require('zlib')

const SIZE = 1024
const BACKGROUND = [0x14, 0x2b, 0x4c] // deep blue, every pixel not in a bar
const BAR = [0xff, 0xc1, 0x2e] // amber
const BASELINE = [0xf4, 0xf6, 0xfa] // near white

const out = path.resolve(
  __dirname,
  '..',
  'public',
  'metadata',
  'images',
  'icon.png'
)

// Rectangles [x0, y0, x1, y1) in pixels, painted in order.
const MARGIN = 212
const FLOOR = SIZE - MARGIN // the bars stand on this line
const BARS = 4
const GAP = 40
const barWidth = Math.floor((SIZE - 2 * MARGIN - (BARS - 1) * GAP) / BARS)
const heights = [0.3, 0.5, 0.72, 1] // of the tallest bar
const tallest = SIZE - 2 * MARGIN

const shapes = heights.map((h, i) => {
  const x0 = MARGIN + i * (barWidth + GAP)

  return {
    rect: [x0, FLOOR - Math.round(h * tallest), x0 + barWidth, FLOOR],
    color: BAR,
  }
})

shapes.push({
  rect: [MARGIN - 24, FLOOR, SIZE - MARGIN + 24, FLOOR + 28],
  color: BASELINE,
})

function colorAt(x, y) {
  let color = BACKGROUND

  for (const { rect, color: c } of shapes) {
    if (x >= rect[0] && x < rect[2] && y >= rect[1] && y < rect[3]) color = c
  }

  return color
}

// Truecolor, 8 bits per channel, no alpha; each row starts with filter 0.
const rowBytes = 1 + SIZE * 3
const raw = Buffer.alloc(rowBytes * SIZE)

for (let y = 0; y < SIZE; y++) {
  raw[y * rowBytes] = 0
  for (let x = 0; x < SIZE; x++) {
    const [r, g, b] = colorAt(x, y)
    const at = y * rowBytes + 1 + x * 3

    raw[at] = r
    raw[at + 1] = g
    raw[at + 2] = b
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n

  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1

  return c >>> 0
})

function crc32(buffer) {
  let c = 0xffffffff

  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8)

  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const length = Buffer.alloc(4)
  const crc = Buffer.alloc(4)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])

  length.writeUInt32BE(data.length)
  crc.writeUInt32BE(crc32(body))

  return Buffer.concat([length, body, crc])
}

const ihdr = Buffer.alloc(13)

ihdr.writeUInt32BE(SIZE, 0) // width
ihdr.writeUInt32BE(SIZE, 4) // height
ihdr[8] = 8 // bit depth
ihdr[9] = 2 // colour type: truecolor (RGB), no alpha
ihdr[10] = 0 // compression: deflate
ihdr[11] = 0 // filter method 0
ihdr[12] = 0 // no interlace

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
])

fs.mkdirSync(path.dirname(out), { recursive: true })
fs.writeFileSync(out, png)
process.stdout.write(
  `Wrote ${path.relative(process.cwd(), out)} (${SIZE}x${SIZE}, ${
    png.length
  } bytes)\n`
)
