import { Text, useInput } from 'ink';
import { useRef, useState } from 'react';

/**
 * A one-line text field. Not ink-text-input: its key handler closes over the value of its last
 * render, so keys typed before the next render (a loaded machine, a paste over SSH) land at a stale
 * cursor; here every key is applied to the latest value.
 */
export function LineInput({ onSubmit }: { onSubmit: (value: string) => void }) {
  const value = useRef('');
  const [shown, setShown] = useState('');
  useInput((input, key) => {
    if (key.return) return onSubmit(value.current);
    if (key.backspace || key.delete) value.current = value.current.slice(0, -1);
    else if (!key.ctrl && !key.meta && !key.escape && !key.tab && !key.upArrow && !key.downArrow && input)
      value.current += input;
    else return;
    setShown(value.current);
  });
  return (
    <Text>
      {shown}
      <Text inverse> </Text>
    </Text>
  );
}
