/**
 * The admin page as `npm start` serves it (never part of the IO build): the
 * same component, with the intl provider the VTEX Admin gives it, and the
 * emulator's sample user token as a header, since this browser has no admin
 * cookie.
 */
import React from 'react'
import ReactDOM from 'react-dom'
import { IntlProvider } from 'react-intl'

import en from '../../messages/en.json'
import es from '../../messages/es.json'
import pt from '../../messages/pt.json'
import MassiveScoreUpdate from '../../react/MassiveScoreUpdate'
import { createApi } from '../../react/utils/api'

const MESSAGES: Record<string, Record<string, string>> = { en, es, pt }
const requested = new URLSearchParams(window.location.search).get('locale') ?? navigator.language
const locale = MESSAGES[requested.slice(0, 2)] ? requested : 'en'
const api = createApi({ headers: { VtexIdclientAutCookie: 'local-admin-token' } })

ReactDOM.render(
  <IntlProvider locale={locale} messages={MESSAGES[locale.slice(0, 2)]}>
    <MassiveScoreUpdate api={api} pollMs={500} />
  </IntlProvider>,
  document.getElementById('root')
)
