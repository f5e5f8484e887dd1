import {
  internEntry,
  type MeterTable,
  type RegistryEntry,
  type RegistryLookup,
  type RegistryStrings,
} from './meter-table.js';

/**
 * The registry one ingest batch reads: the table of the last full load plus the meters changed
 * since (null = gone). Never mutated: a refresh builds a new view, so a batch that took this one
 * sees the same meters from its first lookup to its last, whatever refreshes run meanwhile.
 * Copying the small overlay per refresh is what keeps the 2.5 M-row table shared.
 */
export class RegistryView implements RegistryLookup {
  constructor(
    private readonly table: MeterTable,
    private readonly overlay: ReadonlyMap<string, RegistryEntry | null>,
    readonly size: number,
  ) {}

  /** Meters that differ from the table (changed, added or gone). */
  get overlaySize(): number {
    return this.overlay.size;
  }

  has(meterId: string): boolean {
    const o = this.overlay.get(meterId);
    return o === undefined ? this.table.has(meterId) : o !== null;
  }

  get(meterId: string): RegistryEntry | undefined {
    const o = this.overlay.get(meterId);
    return o === undefined ? this.table.get(meterId) : (o ?? undefined);
  }

  edit(strings: RegistryStrings): RegistryEdit {
    return new RegistryEdit(this.table, new Map(this.overlay), this.size, strings);
  }
}

/** A view of the table alone. */
export function viewOf(table: MeterTable): RegistryView {
  return new RegistryView(table, new Map(), table.size);
}

/** Changes on the way to the next view. */
export class RegistryEdit {
  constructor(
    private readonly table: MeterTable,
    private readonly overlay: Map<string, RegistryEntry | null>,
    private size: number,
    private readonly strings: RegistryStrings,
  ) {}

  get overlaySize(): number {
    return this.overlay.size;
  }

  /** Adds or replaces a meter; false when its zone is unknown, and the meter is then left out. */
  put(e: RegistryEntry): boolean {
    const entry = internEntry(e, this.strings);
    this.set(e.meterId, entry);
    return entry !== null;
  }

  remove(meterId: string): void {
    this.set(meterId, null);
  }

  finish(): RegistryView {
    return new RegistryView(this.table, this.overlay, this.size);
  }

  private set(meterId: string, entry: RegistryEntry | null): void {
    const o = this.overlay.get(meterId);
    const before = o === undefined ? this.table.has(meterId) : o !== null;
    if (entry === null && !this.table.has(meterId)) this.overlay.delete(meterId);
    else this.overlay.set(meterId, entry);
    this.size += (entry === null ? 0 : 1) - (before ? 1 : 0);
  }
}
