// A reader that closes the pipe early (`understudy dataset show | head -1`) ends the command
// quietly with exit 0, as `git log | head` does, instead of an "Unhandled 'error' event" trace.
import { EXIT } from './exit-codes.js';

/** The part of a stdout/stderr stream this needs (a Writable; a fake in unit tests). */
export interface ErrorEmitter {
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
}

/**
 * Listens once, at start-up, for 'error' on stdout and stderr. EPIPE (the reader is gone, see
 * write(2)) exits 0 at once: nobody is left to read what the command would still print, and
 * Node would otherwise throw it as an unhandled 'error' event and exit 1. Any other write error
 * (EIO, ENOSPC on a redirect to a full disk) exits 74, the code for a failed write. Not for the
 * daemon: there a vanished log reader must not look like a clean stop to the service manager.
 * `exit` is process.exit except in tests.
 */
export function endQuietlyOnClosedPipe(
  streams: ErrorEmitter[] = [process.stdout, process.stderr],
  exit: (code: number) => void = process.exit,
): void {
  for (const stream of streams)
    stream.on('error', (err) => {
      exit(err.code === 'EPIPE' ? EXIT.OK : EXIT.IOERR);
    });
}
