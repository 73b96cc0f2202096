/** The failure of the management API's client (client.ts), in a module of its own so the CLI can recognise it without loading the client. */

/** A transport, HTTP or method failure of the management API: one line, its cause kept. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    /** The HTTP status, or the JMAP error type of a method error, when there is one. */
    readonly reason?: number | string,
  ) {
    super(message);
  }
}
