/**
 * The one error type of the command-line layer. Its message is the single line
 * the CLI prints after "tsvisor: " (tools match on these wordings), so it never
 * carries a stack trace or a second line.
 */
export class QemuArgsError extends Error {
  override readonly name = 'QemuArgsError';

  /**
   * @param option the option as the user spelled it ("-m", "--device"), or undefined for
   *   errors that concern the command line as a whole
   * @param value the option's argument when it had one
   * @param reason what is wrong, e.g. "invalid size"
   */
  constructor(
    readonly option: string | undefined,
    readonly value: string | undefined,
    readonly reason: string,
  ) {
    super(formatMessage(option, value, reason));
  }
}

function formatMessage(option: string | undefined, value: string | undefined, reason: string): string {
  if (option === undefined) return reason;
  return value === undefined ? `${option}: ${reason}` : `${option} ${value}: ${reason}`;
}
