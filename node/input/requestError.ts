/** A request-level rejection: answered as `{ error: { status, code, message } }`. */
export class RequestError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string
  ) {
    super(message)
  }

  public toBody() {
    return {
      error: { status: this.status, code: this.code, message: this.message },
    }
  }
}
