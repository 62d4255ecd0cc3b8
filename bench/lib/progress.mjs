// The progress line on stderr: rewritten in place on a terminal, one line per step otherwise.

const clock = (ms) => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

export const fmtInt = (n) =>
  n === undefined || n === null || Number.isNaN(n) ? '–' : Math.round(n).toLocaleString('en-US');
export const fmtMs = (ms) =>
  ms === null || ms === undefined ? '–' : ms < 10 ? ms.toFixed(1) : String(Math.round(ms));

export function createProgress(estimateSeconds, stream = process.stderr) {
  const tty = Boolean(stream.isTTY);
  const started = Date.now();
  let label = 'starting';
  let stepStarted = started;
  let stepSeconds = 0;
  let note = '';
  let count = 0;

  const line = () => {
    const step = stepSeconds
      ? ` ${clock(Date.now() - stepStarted)}/${clock(stepSeconds * 1000)}`
      : '';
    return `[bench ${clock(Date.now() - started)} of ~${clock(estimateSeconds * 1000)}] #${count} ${label}${step}${note ? `  (${note})` : ''}`;
  };
  const render = () => tty && stream.write(`\r\x1b[2K${line()}`);
  const print = (text) => {
    if (tty) stream.write('\r\x1b[2K');
    stream.write(`${text}\n`);
    render();
  };
  const timer = tty ? setInterval(render, 500) : undefined;
  timer?.unref();

  return {
    /** A measured step of `seconds` begins. */
    step(text, seconds) {
      count++;
      label = text;
      stepStarted = Date.now();
      stepSeconds = seconds;
      note = '';
      if (tty) render();
      else print(line());
    },
    /** Set-up work between steps (dataset, logins...). */
    note(text) {
      note = text;
      stepSeconds = 0;
      if (tty) render();
      else print(`[bench] ${text}`);
    },
    done(text, summary) {
      const rate = summary.rate === undefined ? '' : `, ${fmtInt(summary.rate)}/s counted`;
      print(
        `  ${text}: ${fmtInt(summary.rps)} req/s${rate}, p50 ${fmtMs(summary.latency.p50)} ms, p99 ${fmtMs(summary.latency.p99)} ms, generator ${Math.round((summary.cpu.generator ?? 0) * 100)} % of the CPU`,
      );
    },
    log: print,
    stop() {
      clearInterval(timer);
      if (tty) stream.write('\r\x1b[2K');
    },
  };
}
