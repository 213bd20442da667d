import { startDovecot } from './tests/helpers/dovecot.ts';
import { newAccount } from './tests/helpers/account.ts';
import { appendMessages, buildMessage } from './tests/helpers/mail.ts';
import { execFileSync } from 'node:child_process';
const s = await startDovecot({});
const a = newAccount(s.info, { top: '[sync]\nbatch_size = 40\nparallel_mailboxes = 1' });
const c = await a.client();
await appendMessages(c, 'INBOX', Array.from({ length: 600 }, () => buildMessage({ body: 'x '.repeat(1000) })));
await c.logout();
for (let i = 0; i < 2; i++) {
  const t = Date.now();
  const out = execFileSync('node', ['bin/understudy.js', '--config', a.configFile, 'sync'], { encoding: 'utf8' });
  console.log(Date.now() - t, out);
}
const t = Date.now();
execFileSync('node', ['bin/understudy.js', '--help'], { encoding: 'utf8' });
console.log('help', Date.now() - t);
await s.stop();
