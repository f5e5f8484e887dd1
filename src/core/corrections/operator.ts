import { userInfo } from 'node:os';
import { UsageError } from '../errors.js';

/** Who a correction is recorded as: --as, else SMT_OPERATOR, else the login name. */
export function operatorName(explicit?: string): string {
  const name = explicit ?? process.env.SMT_OPERATOR ?? userInfo().username;
  if (!name || name.trim() === '') throw new UsageError('no operator name', 'Pass --as <name>.');
  return name.trim();
}
