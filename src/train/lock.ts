// One training at a time per data dir, across processes: a daemon restarted after a crash must
// not start a second training next to one that is still finishing. The data folder's generic
// lock (src/store/lock.ts) under the name "train", failing with TrainError TRAINING_RUNNING.
import { acquireLock, describeHolder } from '../store/lock.js';
import { TrainError } from './errors.js';

/**
 * Takes the training lock of `dataDir`; returns its release.
 * @throws TrainError TRAINING_RUNNING naming the holder (pid, command, since when) when held.
 */
export function acquireTrainingLock(dataDir: string, command = 'understudy train'): () => void {
  return acquireLock(dataDir, 'train', {
    command,
    held: (holder) =>
      new TrainError(
        'TRAINING_RUNNING',
        `another training is running (${describeHolder(holder)}); try again when it ends`,
      ),
  });
}
