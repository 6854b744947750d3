import { RequestError } from '../../input/requestError'

/** Runs `run` and returns the RequestError it throws; fails the test if it throws nothing or something else. */
export function requestErrorOf(run: () => unknown): RequestError {
  try {
    run()
  } catch (error) {
    if (error instanceof RequestError) return error
    throw error
  }

  throw new Error('expected a RequestError')
}
