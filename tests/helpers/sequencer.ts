// The order vitest starts test files in: the long integration files first, longest first, so that
// with two workers the last minutes are not one long file running while the other worker idles.
// Without this, a fresh clone (no vitest results cache, as in CI) starts the LARGEST files first,
// and train.test.ts and trainer-python.test.ts, short files that run for minutes, came last.
import type { TestSpecification } from 'vitest/node';
import { BaseSequencer } from 'vitest/node';

/**
 * Seconds each long file took in a whole run on the 2-core CI machine (two at a time), roughly;
 * only their order matters. drafts.test.ts comes early and daemon-faults.test.ts late on purpose:
 * both use the shared persona version (tests/helpers/trained-version.ts), which the first one
 * trains and the other then copies instead of waiting for it on the other worker.
 */
const LONG_FILES: Record<string, number> = {
  'tests/integration/train.test.ts': 300,
  'tests/integration/drafts.test.ts': 250,
  'tests/integration/trainer-python.test.ts': 210,
  'tests/integration/promotion.test.ts': 195,
  'tests/integration/daemon.test.ts': 320,
  'tests/integration/daemon-faults.test.ts': 100,
  'tests/integration/train-failures.test.ts': 110,
  'tests/integration/outbox-faults.test.ts': 99,
  'tests/integration/init-demo.test.ts': 63,
  'tests/integration/draft-safety.test.ts': 58,
  'tests/integration/exit-codes.test.ts': 57,
  'tests/integration/egress.test.ts': 44,
  'tests/integration/onnx-gqa.test.ts': 43,
  'tests/integration/reliability.test.ts': 36,
};

/** Known long files first (longest first), then vitest's own order for the rest. */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const seconds = (f: TestSpecification) => {
      const path = f.moduleId.replace(/\\/g, '/');
      const key = Object.keys(LONG_FILES).find((k) => path.endsWith(`/${k}`));
      return key ? LONG_FILES[key]! : 0;
    };
    // Array.prototype.sort is stable: files with no entry keep vitest's order among themselves.
    return ordered.sort((a, b) => seconds(b) - seconds(a));
  }
}
