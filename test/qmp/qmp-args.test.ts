/** -qmp and -monitor as parsed from argv (pure: no machine). */
import test from 'ava';
import { parseQemuArgs, effectiveSerial, QemuArgsError } from '../../lib/qemu-compat/index.js';

const qmpOf = (value: string) => parseQemuArgs(['-qmp', value]).qmp;

test('-qmp spellings: stdio, unix server with wait on by default, bare server/nowait, wait=off', (t) => {
  t.deepEqual(qmpOf('stdio'), [{ kind: 'stdio' }]);
  t.deepEqual(qmpOf('unix:/run/q.sock,server=on'), [{ kind: 'unix', path: '/run/q.sock', wait: true }]);
  t.deepEqual(qmpOf('unix:/run/q.sock,server,nowait'), [{ kind: 'unix', path: '/run/q.sock', wait: false }]);
  t.deepEqual(qmpOf('unix:/run/q.sock,server=on,wait=off'), [{ kind: 'unix', path: '/run/q.sock', wait: false }]);
  t.deepEqual(qmpOf('unix:/run/a,,b.sock,server'), [{ kind: 'unix', path: '/run/a,b.sock', wait: true }]);
  t.deepEqual(parseQemuArgs(['-qmp', 'stdio', '-qmp', 'unix:/x,server,wait=off']).qmp, [
    { kind: 'stdio' },
    { kind: 'unix', path: '/x', wait: false },
  ]);
});

test('-qmp and -monitor errors name the option and argument', (t) => {
  const cases: Array<[string[], string]> = [
    [['-qmp', 'unix:/x'], "-qmp unix:/x: QMP on a unix socket needs server=on (tsvisor does not connect out as a client; use stdio or unix:PATH,server=on[,wait=off])"],
    [['-qmp', 'unix:/x,server=off'], "-qmp unix:/x,server=off: QMP on a unix socket needs server=on (tsvisor does not connect out as a client; use stdio or unix:PATH,server=on[,wait=off])"],
    [['-qmp', 'unix:,server'], '-qmp unix:,server: empty parameter'],
    [['-qmp', 'unix:/x,server,bogus=1'], "-qmp unix:/x,server,bogus=1: invalid parameter 'bogus'"],
    [['-qmp', 'tcp:127.0.0.1:4444,server'], "-qmp tcp:127.0.0.1:4444,server: character device 'tcp' is not supported for QMP (use stdio or unix:PATH,server=on[,wait=off])"],
    [['-monitor', 'telnet::4444,server'], "-monitor telnet::4444,server: monitor backend 'telnet::4444,server' is not supported (use -monitor stdio or -monitor none; QMP: -qmp)"],
  ];
  for (const [argv, message] of cases) t.throws(() => parseQemuArgs(argv), { instanceOf: QemuArgsError, message }, argv.join(' '));
});

test('-monitor stdio|none; stdio for QMP or the monitor moves the default serial port off stdio', (t) => {
  t.is(parseQemuArgs(['-monitor', 'none']).monitor, 'none');
  t.is(effectiveSerial(parseQemuArgs(['-monitor', 'stdio'])), 'null');
  t.is(effectiveSerial(parseQemuArgs(['-qmp', 'stdio'])), 'null');
  t.is(effectiveSerial(parseQemuArgs(['-qmp', 'unix:/x,server'])), 'stdio');
  t.is(effectiveSerial(parseQemuArgs(['-qmp', 'stdio', '-serial', 'none'])), 'none');
  t.throws(() => parseQemuArgs(['-qmp', 'stdio', '-monitor', 'stdio']), { message: /-qmp and -monitor both ask for it/ });
});
