// Typed errors of the release catalog; all are bad input from the caller's point of view.
import { NotFoundError, ValidationError } from '@meshfleet/core';

/** An imported bundle is not what `linkerd install` / `helm template` produce; lists every reason. */
export class ReleaseImportError extends ValidationError {
  constructor(readonly reasons: string[]) {
    super(`The release bundle was rejected: ${reasons.join('; ')}`, 'bundle', { reasons });
  }
}

/** Placeholders could not be filled: unknown names or values the caller did not supply. */
export class PlaceholderError extends ValidationError {
  constructor(
    message: string,
    readonly placeholders: string[],
  ) {
    super(message, 'placeholders', { placeholders });
  }
}

export class UnknownReleaseError extends NotFoundError {
  constructor(version: string) {
    super('Simulated Linkerd release', version);
  }
}
