/**
 * docs/ is what the docs builder publishes to the App Store: it must hold
 * only what a store can use, link only what the app ships, and give other
 * IO apps the very client the end-to-end tests call through.
 */
import fs from 'fs'
import path from 'path'

const ROOT = path.resolve(__dirname, '../../..')
const DOCS = path.join(ROOT, 'docs')
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8')
const markdown = fs
  .readdirSync(DOCS)
  .filter((name) => name.endsWith('.md'))
  .map((name) => ({ name, text: read(`docs/${name}`) }))

/** .vtexignore's patterns as regular expressions over repository paths. */
const ignored = read('.vtexignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map(
    (pattern) =>
      new RegExp(
        `^${pattern
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')}${pattern.endsWith('/') ? '' : '$'}`
      )
  )

describe('the public docs', () => {
  it('give other IO apps the client the end-to-end tests call through, word for word', () => {
    const client = read('local/consumer/massiveScoreUpdate.ts')
    const blocks = read('docs/README.md').match(/```ts\n[\s\S]*?```/g) ?? []
    const documented = blocks.find((block) =>
      block.includes('class MassiveScoreUpdate')
    )

    expect(documented).toBe(`\`\`\`ts\n${client}\`\`\``)
  })

  it.each(markdown.map(({ name }) => [name]))(
    '%s links only files the app ships',
    (name) => {
      const { text } = markdown.find((file) => file.name === name)!
      const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((match) => match[1].split('#')[0])
        .filter((target) => target && !/^[a-z]+:/i.test(target))

      for (const target of targets) {
        const file = path.relative(ROOT, path.resolve(DOCS, target))

        expect({
          target,
          exists: fs.existsSync(path.join(ROOT, file)),
        }).toEqual({ target, exists: true })
        expect({
          target,
          file,
          shipped: !ignored.some((re) => re.test(file)),
        }).toEqual({ target, file, shipped: true })
        expect(file.startsWith('docs/')).toBe(true)
      }
    }
  )

  it('say nothing of the local runtime, its emulator or its sample credentials', () => {
    for (const file of fs.readdirSync(DOCS)) {
      const text = read(`docs/${file}`)

      expect({
        file,
        local: /localhost|127\.0\.0\.1|local-admin-token|npm start/.test(text),
      }).toEqual({
        file,
        local: false,
      })
    }
  })

  it('ship a Postman collection that writes nothing until dryRun is turned off', () => {
    const collection = JSON.parse(read('docs/postman_collection.json'))
    const requests: Array<{ name: string; request: any }> = []
    const walk = (items: any[]) => {
      for (const item of items) {
        if (item.item) walk(item.item)
        else requests.push(item)
      }
    }

    walk(collection.item)
    const variables = Object.fromEntries(
      (collection.variable ?? []).map((v: { key: string; value: string }) => [
        v.key,
        v.value,
      ])
    )

    expect(variables.dryRun).toBe('true')
    const writes = requests.filter(({ request }) =>
      /score\/update/.test(request.url?.raw ?? request.url)
    )

    expect(writes.length).toBeGreaterThan(0)
    for (const { name, request } of writes)
      expect({ name, url: request.url.raw }).toEqual({
        name,
        url: expect.stringContaining('dryRun={{dryRun}}'),
      })
  })
})
