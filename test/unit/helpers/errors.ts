import { TokenRejectedError } from 'keycloak-lambda-s2s';

/** The error `act` throws; fails the test when it throws nothing or something that is not an Error. */
export function thrownBy(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`expected an Error, got ${String(error)}`);
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
