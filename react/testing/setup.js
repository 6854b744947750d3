// jsdom (jest 25) lacks what browsers have and the page uses.
const { TextDecoder, TextEncoder } = require('util')

if (typeof global.TextDecoder === 'undefined') global.TextDecoder = TextDecoder
if (typeof global.TextEncoder === 'undefined') global.TextEncoder = TextEncoder
if (typeof window.URL.createObjectURL === 'undefined') {
  window.URL.createObjectURL = () => 'blob:test'
  window.URL.revokeObjectURL = () => undefined
}
if (typeof window.matchMedia !== 'function') {
  window.matchMedia = (query) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => undefined,
    removeListener: () => undefined,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    dispatchEvent: () => false,
  })
}
// Blob.arrayBuffer (every browser the Admin supports has it; jsdom 15 does not): read-excel-file reads with it.
if (typeof Blob.prototype.arrayBuffer !== 'function') {
  Blob.prototype.arrayBuffer = function arrayBuffer() {
    return new Promise((resolve, reject) => {
      const reader = new FileReader()

      reader.onload = () => resolve(reader.result)
      reader.onerror = () => reject(reader.error)
      reader.readAsArrayBuffer(this)
    })
  }
}
