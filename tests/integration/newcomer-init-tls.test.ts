// init for a newcomer's own server with a self-signed certificate on loopback and a high port
// (README: "set ca_file to its certificate"): given --ca-file, init's TLS default is TLS, not
// "none", so the connection test passes and the config says what the server speaks. Against the
// real Dovecot's TLS port, with the built CLI.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { defaultTls } from '../../src/cli/commands/init.js';
import { runCli } from '../helpers/account.js';
import { addUser } from '../helpers/dovecot.js';

const server = inject('dovecot');

describe('init --ca-file: the TLS default is TLS', () => {
  it('defaultTls never says none when a CA file is given, whatever the host and port', () => {
    expect(defaultTls('127.0.0.1', '10993', 'cert.pem')).toBe('implicit');
    expect(defaultTls('localhost', undefined, 'cert.pem')).toBe('implicit');
    expect(defaultTls('127.0.0.1', '143', 'cert.pem')).toBe('starttls');
    expect(defaultTls('imap.example.com', '993', 'cert.pem')).toBe('implicit');
    // Without one, loopback keeps its plaintext default.
    expect(defaultTls('127.0.0.1', '10993')).toBe('none');
  });

  it('init --yes against a self-signed loopback server on a high port: tls implicit, the test passes, exit 0', async () => {
    expect(server.tlsPort && server.certFile).toBeTruthy();
    const { user, password } = addUser(server);
    const dir = mkdtempSync(join(tmpdir(), 'understudy-init-tls-'));
    const secret = join(dir, 'imap.pass');
    writeFileSync(secret, `${password}\n`, { mode: 0o600 });
    const file = join(dir, 'config.toml');
    const r = await runCli([
      '--config',
      file,
      'init',
      '--yes',
      '--host',
      '127.0.0.1',
      '--port',
      String(server.tlsPort),
      '--user',
      user,
      '--address',
      `${user}@example.test`,
      '--ca-file',
      server.certFile ?? '',
      '--password-file',
      secret,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/connection test failed/);
    expect(readFileSync(file, 'utf8')).toMatch(/^tls = "implicit"$/m);
  });
});
