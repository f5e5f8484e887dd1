import { Flags } from '@oclif/core';
import { STORES, type Store } from '../core/migrations/types.js';

/** Flags shared by several commands, each with its environment variable. */
export const storesFlag = Flags.string({
  description: 'stores to act on (comma separated)',
  options: [...STORES],
  multiple: true,
  delimiter: ',',
  default: [...STORES],
});

export function asStores(values: string[] | undefined): Store[] {
  return (values ?? [...STORES]) as Store[];
}
