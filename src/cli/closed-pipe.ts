/**
 * `syncdesk status | head` closes the pipe before the command is done. Node then fails the
 * next write with EPIPE, which would crash the process mid-work (and leave an embedded Redis
 * it started running). A reader that went away is no error: further output is dropped and
 * the command finishes (and cleans up) as usual.
 */
export function dropOutputWhenPipeCloses(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') {
      process.stderr.write(`syncdesk: cannot write output: ${err.message}\n`);
      process.exitCode = 1;
    }
    stream.write = (() => true) as typeof stream.write;
  });
}
