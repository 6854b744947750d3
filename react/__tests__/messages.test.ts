import context from '../../messages/context.json'
import en from '../../messages/en.json'
import es from '../../messages/es.json'
import pt from '../../messages/pt.json'

describe('the messages', () => {
  it.each([
    ['pt', pt],
    ['es', es],
    ['context', context],
  ])('%s has the keys en has, and no other', (_name, messages) => {
    expect(Object.keys(messages).sort()).toEqual(Object.keys(en).sort())
  })

  it.each([
    ['pt', pt],
    ['es', es],
  ])('%s keeps the placeholders of en', (_name, messages) => {
    const placeholders = (text: string) =>
      (text.match(/\{\w+/g) ?? []).sort().join(' ')
    const own = messages as Record<string, string>

    for (const [key, text] of Object.entries(en as Record<string, string>))
      expect({ key, placeholders: placeholders(own[key] ?? '') }).toEqual({
        key,
        placeholders: placeholders(text),
      })
  })
})
