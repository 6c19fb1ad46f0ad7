/**
 * The human monitor on a pair of streams (-monitor stdio): a "(qemu) " prompt,
 * one command per line, answered through MonitorTarget.humanCommand.
 */
import { createInterface, type Interface } from 'node:readline';
import type { MonitorTarget } from './monitor.js';

export class HumanMonitor {
  private readonly rl: Interface;
  private queue: Promise<void> = Promise.resolve();

  constructor(target: MonitorTarget, input: NodeJS.ReadableStream, private readonly output: NodeJS.WritableStream, banner: string) {
    this.rl = createInterface({ input, output, prompt: '(qemu) ', terminal: false });
    output.write(`${banner} - type 'help' for more information\n`);
    this.rl.prompt();
    this.rl.on('line', (line) => {
      this.queue = this.queue.then(async () => {
        try {
          output.write(await target.humanCommand(line));
        } catch (err) {
          output.write(`Error: ${(err as Error).message}\n`);
        }
        if (!target.ended) this.rl.prompt();
      });
    });
  }

  close(): void {
    this.rl.close();
  }
}
