// A bearer token kept in a file that someone else rotates: the kubelet's projected
// service-account token, a kubeconfig's `tokenFile`. Like client-go's cached file token source,
// the file is re-read when the copy is older than a minute, and a failed re-read keeps using the
// last good token (the kubelet replaces the file by a rename; a read may briefly miss it).
import { readFile } from 'node:fs/promises';

export interface FileTokenOptions {
  /** How long a read token is used before the file is read again (default one minute). */
  maxAgeMs?: number;
  now?: () => number;
}

export class FileToken {
  readonly path: string;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #token: string | undefined;
  #readAt = 0;
  #reading: Promise<string> | undefined;

  constructor(path: string, opts: FileTokenOptions = {}) {
    this.path = path;
    this.#maxAgeMs = opts.maxAgeMs ?? 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The token, from the file when the cached copy is too old. */
  get(): Promise<string> {
    if (this.#token !== undefined && this.#now() - this.#readAt < this.#maxAgeMs) {
      return Promise.resolve(this.#token);
    }
    this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #read(): Promise<string> {
    let token: string;
    try {
      token = (await readFile(this.path, 'utf8')).trim();
      if (token === '') throw new Error('the file is empty');
    } catch (err) {
      if (this.#token !== undefined) return this.#token;
      throw new Error(`cannot read the token file ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.#token = token;
    this.#readAt = this.#now();
    return token;
  }
}
