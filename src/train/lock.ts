// One training at a time per data dir, across processes: a daemon restarted after a crash must
// not start a second training next to one that is still finishing. A pid file, because Node has
// no flock(2); a file whose process is gone is stale and taken over.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrainError } from './errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Takes the training lock of `dataDir`; returns its release. Throws TRAINING_RUNNING when held. */
export function acquireTrainingLock(dataDir: string): () => void {
  const file = join(dataDir, 'train.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (Number(readFileSync(file, 'utf8')) === process.pid) unlinkSync(file);
        } catch {}
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new TrainError('TRAINING_RUNNING', `another training is running (pid ${holder}); try again when it ends`);
      }
      unlinkSync(file); // stale: its process is gone
    }
  }
  throw new TrainError('TRAINING_RUNNING', `could not take the training lock ${file}`);
}
