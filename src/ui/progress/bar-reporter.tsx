import { Box, type Instance, render, Static, Text } from 'ink';
import { describeState, type ProgressReporter, type ProgressState, percentOf } from './model.js';

const WIDTH = 24;

function Bar({ state }: { state: ProgressState | null }) {
  if (!state) return null;
  const full = state.fraction === null ? 0 : Math.round(state.fraction * WIDTH);
  const bar = state.fraction === null ? '' : `[${'█'.repeat(full)}${'░'.repeat(WIDTH - full)}] `;
  return (
    <Text wrap="truncate-end">
      {state.label}: {bar}
      {percentOf(state)}
      {describeState(state)}
    </Text>
  );
}

function View({ notes, state }: { notes: { id: number; text: string }[]; state: ProgressState | null }) {
  return (
    <Box flexDirection="column">
      <Static items={notes}>{(n) => <Text key={n.id}>{n.text}</Text>}</Static>
      <Bar state={state} />
    </Box>
  );
}

/**
 * The live bar on a terminal, drawn by Ink on stderr (stdout keeps the result): kept lines
 * (notes, finished stages) in `<Static>`, the running stage below, redrawn at most every `everyMs`.
 */
export class BarReporter implements ProgressReporter {
  private readonly ink: Instance;
  private readonly notes: { id: number; text: string }[] = [];
  private state: ProgressState | null = null;
  private last = Number.NEGATIVE_INFINITY;

  constructor(private readonly everyMs = 100) {
    this.ink = render(<View notes={this.notes} state={null} />, {
      stdout: process.stderr,
      stderr: process.stderr,
      patchConsole: false,
      exitOnCtrlC: false,
    });
  }

  update(s: ProgressState, force: boolean): void {
    const t = performance.now();
    if (!force && t - this.last < this.everyMs) return;
    this.last = t;
    this.state = { ...s, counts: { ...s.counts } };
    this.draw();
  }

  note(text: string): void {
    this.notes.push({ id: this.notes.length, text });
    this.draw();
  }

  close(): void {
    if (this.state) this.note(`${this.state.label}: ${percentOf(this.state)}${describeState(this.state)}`);
    this.state = null;
    this.draw();
    this.ink.unmount();
  }

  private draw(): void {
    this.ink.rerender(<View notes={[...this.notes]} state={this.state} />);
  }
}
