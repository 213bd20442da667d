// The exit codes every command uses: the numbers and their meanings live in src/errors.ts, beside
// the one mapping from an error's code and kind to its exit code (exitCodeOf); re-exported here
// for the commands.
export { EXIT, type ExitCode } from '../errors.js';
