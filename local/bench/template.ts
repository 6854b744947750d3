/**
 * A page from a template file: `{{name}}` is replaced by its value, and a
 * section between the lines `{{#name}}` and `{{/name}}` (each followed by a
 * blank line) is kept only when that value is not empty. A name without a
 * value is an error, so that a typo never reaches the page.
 */
export function renderTemplate(
  template: string,
  values: Record<string, string>
): string {
  const valueOf = (name: string) => {
    if (!(name in values)) throw new Error(`template: no value for ${name}`)

    return values[name]
  }

  return template
    .replace(
      /\{\{#(\w+)\}\}\n\n([\s\S]*?)\{\{\/\1\}\}\n\n/g,
      (_, name: string, body: string) => (valueOf(name) ? body : '')
    )
    .replace(/\{\{(\w+)\}\}/g, (_, name: string) => valueOf(name))
}
