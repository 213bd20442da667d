// A closed pipe on stdout/stderr ends the CLI with 0; any other write error with 74.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { endQuietlyOnClosedPipe } from '../../src/cli/closed-pipe.js';

const failure = (code: string) => Object.assign(new Error(code), { code });

describe('endQuietlyOnClosedPipe', () => {
  it('exits 0 on EPIPE from stdout or stderr, 74 on another write error', () => {
    const stdout = new EventEmitter();
    const stderr = new EventEmitter();
    const exits: number[] = [];
    endQuietlyOnClosedPipe([stdout, stderr], (code) => exits.push(code));
    stdout.emit('error', failure('EPIPE'));
    stderr.emit('error', failure('EPIPE'));
    stdout.emit('error', failure('EIO'));
    expect(exits).toEqual([0, 0, 74]);
  });
});
