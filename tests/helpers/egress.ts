// Reads an strace log (strace -f -e trace=connect,sendto,sendmsg,sendmmsg,openat[,execve]) for
// network use other than the IMAP server: DNS lookups (a connect or send to port 53, a
// systemd-resolved socket, or /etc/resolv.conf read and then a UDP send by the same process) and
// connects to any other peer. Used by the egress tests of the daemon, its children and the CLI.
import { spawnSync } from 'node:child_process';

/** True when strace can run here (it needs ptrace; some containers forbid it). */
export function straceAvailable(): boolean {
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=none', 'true'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * The offending lines of a trace, described ("pid 12: DNS query: connect … port 53"): every
 * AF_INET/AF_INET6 connect whose `addr:port` is not in `allowed` (e.g. `127.0.0.1:10143`), and
 * every DNS lookup, even one that would go to an allowed address.
 */
export function dnsOrForeignTraffic(trace: string, allowed: string[]): string[] {
  const found: string[] = [];
  const readResolvConf = new Set<string>();
  for (const line of trace.split('\n')) {
    const pid = /^(\d+)\s/.exec(line)?.[1] ?? '?';
    if (/openat\(.*"\/etc\/resolv\.conf"/.test(line) && !/= -1 /.test(line)) {
      readResolvConf.add(pid);
      continue;
    }
    const connect = /connect\(\d+, \{sa_family=(AF_INET6?|AF_UNIX)(.*?)\}, \d+\)/.exec(line);
    if (connect) {
      const [, family, rest] = connect;
      if (family === 'AF_UNIX') {
        if (/sun_path="[^"]*(resolve|nscd)[^"]*"/.test(rest ?? '') && /resolve/.test(rest ?? ''))
          found.push(`pid ${pid}: DNS via systemd-resolved: ${line.trim()}`);
        continue;
      }
      const port = /sin6?_port=htons\((\d+)\)/.exec(rest ?? '')?.[1];
      const addr =
        family === 'AF_INET'
          ? /inet_addr\("([^"]+)"\)/.exec(rest ?? '')?.[1]
          : `[${/inet_pton\(AF_INET6, "([^"]+)"/.exec(rest ?? '')?.[1]}]`;
      if (port === '53') found.push(`pid ${pid}: DNS query: ${line.trim()}`);
      else if (!allowed.includes(`${addr}:${port}`))
        found.push(`pid ${pid}: connect to ${addr}:${port}: ${line.trim()}`);
      continue;
    }
    const send = /\b(sendto|sendmsg|sendmmsg)\(/.exec(line);
    if (send) {
      if (/htons\(53\)/.test(line)) found.push(`pid ${pid}: DNS query: ${line.trim()}`);
      else if (readResolvConf.has(pid) && !/AF_UNIX|AF_NETLINK/.test(line) && /sa_family=AF_INET|sendmmsg/.test(line))
        found.push(`pid ${pid}: UDP send after reading /etc/resolv.conf: ${line.trim()}`);
    }
  }
  return found;
}
