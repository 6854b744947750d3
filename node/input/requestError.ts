/** A request-level rejection: answered as `{ error: { status, code, message } }`. */
export class RequestError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    /** Seconds a caller should wait before sending it again (`Retry-After`). */
    public readonly retryAfterSec?: number
  ) {
    super(message)
  }

  public toBody() {
    return {
      error: { status: this.status, code: this.code, message: this.message },
    }
  }
}
