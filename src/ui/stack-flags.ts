import { Flags } from '@oclif/core';
import { SERVICE_NAMES, type ServiceName } from '../core/stack/services.js';

export const servicesFlag = Flags.string({
  description: 'services to act on (comma separated)',
  options: [...SERVICE_NAMES],
  multiple: true,
  delimiter: ',',
  env: 'SMT_STACK_SERVICES',
});

export function asServices(values: string[] | undefined): ServiceName[] {
  const chosen = values && values.length > 0 ? values : SERVICE_NAMES;
  return SERVICE_NAMES.filter((s) => chosen.includes(s));
}

export function formatBytes(n: number | null): string {
  if (n === null) return '';
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  return `${Math.round(n / 1024 ** 2)} MiB`;
}
