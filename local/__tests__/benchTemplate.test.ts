import { renderTemplate } from '../bench/template'

describe('the bench report template', () => {
  it('fills each name with its value', () => {
    expect(renderTemplate('a {{x}} b {{y}} {{x}}', { x: '1', y: '$&' })).toBe(
      'a 1 b $& 1'
    )
  })

  it('keeps a section when its value is not empty, and drops it whole when it is', () => {
    const template =
      'before\n\n{{#peers}}\n\n## Peers\n\n{{peers}}\n\n{{/peers}}\n\nafter\n'

    expect(renderTemplate(template, { peers: '| t |' })).toBe(
      'before\n\n## Peers\n\n| t |\n\nafter\n'
    )
    expect(renderTemplate(template, { peers: '' })).toBe('before\n\nafter\n')
  })

  it('refuses a name it has no value for', () => {
    expect(() => renderTemplate('{{missing}}', {})).toThrow(/missing/)
  })
})
