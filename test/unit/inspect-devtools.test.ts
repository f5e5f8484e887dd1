import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../src/core/errors.js';
import { IN_BUNDLE, refuseDevtools } from '../../src/ui/inspect/devtools.js';

describe('DEV=true (Ink and React DevTools)', () => {
  it('is refused in the bundle with a usage error that says what works', () => {
    let err: unknown;
    try {
      refuseDevtools({ DEV: 'true' }, true);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    expect((err as UsageError).message).toMatch(/^DEV=true asks Ink for React DevTools/);
    expect((err as UsageError).hint).toContain('DEV=true bin/dev.js inspect <meter>');
  });

  it('is left to Ink from the sources, and any other DEV is ignored', () => {
    expect(IN_BUNDLE).toBe(false);
    expect(() => refuseDevtools({ DEV: 'true' })).not.toThrow();
    expect(() => refuseDevtools({ DEV: '1' }, true)).not.toThrow();
    expect(() => refuseDevtools({}, true)).not.toThrow();
  });
});
