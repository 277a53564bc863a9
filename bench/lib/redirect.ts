/**
 * One redirect hop, as a browser takes it: cookies set on the way (the login-binding cookie of
 * /api/authorize) are kept in `jar` and sent back (the backend and its issuer share an origin).
 * Returns where the hop redirects to.
 */
export async function location(url: string, jar: Map<string, string>): Promise<string> {
  const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  for (const c of res.headers.getSetCookie()) {
    const [pair = ''] = c.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const next = res.headers.get('location');
  await res.arrayBuffer();
  if (res.status !== 302 || !next) throw new Error(`${url} answered ${res.status}`);
  return new URL(next, url).href;
}

/** Follows redirects from `start` until one leaves for `until`, and returns that URL. */
export async function followTo(start: string, until: string): Promise<string> {
  const jar = new Map<string, string>();
  let url = start;
  for (let hops = 0; hops < 10; hops++) {
    if (url.startsWith(until)) return url;
    url = await location(url, jar);
  }
  throw new Error(`too many redirects from ${start}`);
}
