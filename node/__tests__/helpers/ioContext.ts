import type { IOContext } from '@vtex/api'

/** The IOContext a client needs outside the runtime: account `store`, a silent logger, no tracing. */
export const testIOContext = () =>
  ({
    account: 'store',
    workspace: 'master',
    authToken: 'app-token',
    region: 'aws-us-east-1',
    production: false,
    userAgent: 'test',
    tracer: { isTraceSampled: false },
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  } as unknown as IOContext)
