export * from './fields'
export * from './rateLimit'
export * from './server'
export * from './spawn'
