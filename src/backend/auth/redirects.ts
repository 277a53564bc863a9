// Where a login may send the browser back to (differences.md item 2): the CLI flow only to a
// loopback listener (that is where `kubectl bind` waits), the web-UI flow only to the backend's
// own origin. Anything else would hand a token or a session to a stranger: an open redirect.
import { BackendError } from '../errors.ts';

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function checkRedirect(raw: string, clientType: string, ownOrigin: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(raw, 'it is not an absolute URL');
  }
  if (url.username !== '' || url.password !== '') throw invalid(raw, 'it carries credentials');
  if (clientType === 'cli') {
    if (url.protocol !== 'http:' || !loopbackHosts.has(url.hostname) || url.port === '') {
      throw invalid(
        raw,
        'the CLI flow redirects only to http://127.0.0.1:<port>/ or http://localhost:<port>/',
      );
    }
    return url;
  }
  if (url.origin !== ownOrigin) {
    throw invalid(raw, `the web flow redirects only to this backend (${ownOrigin})`);
  }
  return url;
}

function invalid(raw: string, why: string): BackendError {
  return new BackendError('BadRequest', 'Invalid redirect_url', {
    details: `redirect_url ${JSON.stringify(raw.slice(0, 200))} is not allowed: ${why}`,
  });
}
