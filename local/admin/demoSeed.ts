import type { CatalogEmulator } from '../catalogEmulator'
import { makeCategory, makeProduct } from '../catalogEmulator/fields'

/**
 * What the admin page's demo shows besides the 50 sample products and 20
 * categories: one product or category per guarded case, at ids of their own
 * (so the samples other tests use stay as they are). Ids the emulator does
 * not hold (999999) answer NOT_FOUND.
 */
export const DEMO_IDS = {
  product: {
    emptyReleaseDate: 101,
    trailingSpaces: 102,
    diacritics: 103,
    accentsKept: 104,
  },
  category: { diacritics: 101, trailingSpaces: 102 },
  unknown: 999999,
}

export function seedAdminDemo(emulator: CatalogEmulator) {
  const ids = DEMO_IDS.product

  emulator.setProduct(ids.emptyReleaseDate, {
    ...makeProduct(ids.emptyReleaseDate),
    ReleaseDate: '',
  })
  emulator.setProduct(ids.trailingSpaces, {
    ...makeProduct(ids.trailingSpaces),
    Name: 'Caneca azul ',
  })
  emulator.setProduct(ids.diacritics, {
    ...makeProduct(ids.diacritics),
    Name: 'Cămașă Ștefan',
  })
  emulator.setProduct(ids.accentsKept, {
    ...makeProduct(ids.accentsKept),
    Name: 'Camisa de algodão, coração',
  })
  emulator.setCategory(DEMO_IDS.category.diacritics, {
    ...makeCategory(DEMO_IDS.category.diacritics),
    Name: 'Încălțăminte',
  })
  emulator.setCategory(DEMO_IDS.category.trailingSpaces, {
    ...makeCategory(DEMO_IDS.category.trailingSpaces),
    Title: 'Acessórios ',
  })
}
