import { IOClients } from '@vtex/api'

import { CatalogClient } from './catalog'
import { JobFilesClient } from './jobFiles'
import { LicenseManagerClient } from './licenseManager'

export class Clients extends IOClients {
  public get catalog() {
    return this.getOrSet('catalog', CatalogClient)
  }

  /** The job store: VBase bucket `score-jobs`. */
  public get jobFiles() {
    return this.getOrSet('jobFiles', JobFilesClient)
  }

  /** License Manager and VTEX ID: who a caller is and what they may do. */
  public get accessControl() {
    return this.getOrSet('accessControl', LicenseManagerClient)
  }
}
