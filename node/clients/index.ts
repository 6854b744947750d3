import { IOClients } from '@vtex/api'

import { CatalogClient } from './catalog'
import { JobFilesClient } from './jobFiles'
import { LicenseManagerClient } from './licenseManager'
import { VtexIdClient } from './vtexId'

export class Clients extends IOClients {
  public get catalog() {
    return this.getOrSet('catalog', CatalogClient)
  }

  /** The job store: VBase bucket `score-jobs`. */
  public get jobFiles() {
    return this.getOrSet('jobFiles', JobFilesClient)
  }

  /** License Manager: what a caller may do. */
  public get accessControl() {
    return this.getOrSet('accessControl', LicenseManagerClient)
  }

  /** VTEX ID: who a caller is (not `id`, @vtex/api's own VTEX ID client for logins). */
  public get vtexId() {
    return this.getOrSet('vtexId', VtexIdClient)
  }
}
