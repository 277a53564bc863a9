// Why a login failed, told apart so that the callback can answer with the right status and the
// person at the browser or CLI learns what to do next. Messages name the issuer and what went
// wrong, never a code, token, verifier or client secret.
import { BackendError, type BackendErrorCode } from '../errors.ts';

export type LoginErrorReason =
  /** The IdP answered the authorization request with `error=…` (e.g. the user declined). */
  | 'idp_error'
  /** The callback's state is not the one this login started with. */
  | 'state_mismatch'
  /** The IdP could not be reached at its token endpoint, or refused the authorization code. */
  | 'token_exchange_failed'
  /** The ID token failed verification: signature, issuer, audience, expiry, nonce or claims. */
  | 'id_token_invalid'
  /** The IdP's discovery document could not be fetched or does not match the issuer URL. */
  | 'discovery_failed';

/** The HTTP-facing code of each reason when the caller does not choose one. */
const defaultCode: Record<LoginErrorReason, BackendErrorCode> = {
  idp_error: 'Unauthenticated',
  state_mismatch: 'BadRequest',
  token_exchange_failed: 'Unavailable',
  id_token_invalid: 'Unauthenticated',
  discovery_failed: 'Unavailable',
};

export class LoginError extends BackendError {
  readonly reason: LoginErrorReason;

  constructor(
    reason: LoginErrorReason,
    message: string,
    options: { details?: string; code?: BackendErrorCode } = {},
  ) {
    super(
      options.code ?? defaultCode[reason],
      message,
      options.details === undefined ? {} : { details: options.details },
    );
    this.name = 'LoginError';
    this.reason = reason;
  }
}

export function isLoginError(err: unknown, reason?: LoginErrorReason): err is LoginError {
  return err instanceof LoginError && (reason === undefined || err.reason === reason);
}
