export interface LogLine {
  msg?: string;
  reqId?: string;
  level?: number;
  err?: unknown;
}

/** Collects what the process writes to stdout (the service's JSON log lines) until restored. */
export function captureStdout() {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    chunks.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
    return true;
  });
  const text = () => chunks.join('');
  return {
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine),
    restore: () => spy.mockRestore(),
  };
}
