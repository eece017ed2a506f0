/** A value could not be encoded or decoded as XDR. The protocol layer wraps it into a `ProtocolError`. */
export class XdrError extends Error {
  override readonly name = "XdrError";
}
