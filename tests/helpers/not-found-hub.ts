// A model hub on loopback that has no repository: it answers every request with the status the
// test picks (404 RepoNotFound, or 401 GatedRepo as the real hub does for a repository it will not
// name) and records the paths it was asked for. Nothing leaves the machine.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface NotFoundHub {
  /** Its base URL, for the config's hub endpoint. */
  url: string;
  /** The request paths, in order. */
  asked: string[];
  close(): Promise<void>;
}

/** Starts the hub on 127.0.0.1; `status(path)` is 404 (default) or 401 for each request. */
export async function startNotFoundHub(status: (path: string) => 404 | 401 = () => 404): Promise<NotFoundHub> {
  const asked: string[] = [];
  const hub = createServer((req, res) => {
    asked.push(req.url ?? '');
    res.statusCode = status(req.url ?? '');
    res.setHeader('X-Error-Code', res.statusCode === 401 ? 'GatedRepo' : 'RepoNotFound');
    res.end('not found');
  });
  await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(hub.address() as AddressInfo).port}`,
    asked,
    close: () => new Promise<void>((r) => hub.close(() => r())),
  };
}
