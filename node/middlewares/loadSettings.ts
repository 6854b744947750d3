import { ignoredSettings, resolveSettings, settingsFromEnv } from '../settings'

/** Locally the tunables come from the environment; on IO, from the app's settings. */
export async function loadSettings(ctx: Context, next: () => Promise<void>) {
  if (process.env.SCORE_SETTINGS_FROM_ENV === 'true') {
    ctx.state.settings = settingsFromEnv()
  } else {
    let raw: Record<string, unknown> | undefined

    try {
      raw = await ctx.clients.apps.getAppSettings(process.env.VTEX_APP_ID ?? '')
    } catch {
      // The defaults are safe; an unreadable settings store must not block updates.
      ctx.vtex.logger.warn({
        message: 'App settings unavailable; using defaults',
      })
    }

    const ignored = ignoredSettings(raw)

    // The admin's schema bounds each setting; a value that still slips through is said, not silently dropped.
    if (ignored.length > 0)
      ctx.vtex.logger.warn({ message: 'App settings ignored', ignored })
    ctx.state.settings = resolveSettings(raw)
  }

  await next()
}
