import { TokenRejectedError } from '../../../shared/errors';

/** The error `act` throws; fails the test when it throws nothing. */
export function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

/** The {@link TokenRejectedError} `promise` rejects with; fails the test on anything else. */
export async function rejectionOf(promise: Promise<unknown>): Promise<TokenRejectedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof TokenRejectedError) return error;
  throw new Error(`expected TokenRejectedError, got ${String(error)}`);
}
