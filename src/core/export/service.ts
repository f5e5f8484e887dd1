/**
 * `smt export`: the current series of a meter or an account over local dates, as Green Button
 * (ESPI XML), AEMO NEM12 or CSV. Read through the series read API, one query per meter.
 */
import { writeFile } from 'node:fs/promises';
import { metersOf, withBillingStores } from '../billing/stores.js';
import { forEachBounded } from '../concurrency.js';
import type { SmtConfig } from '../config/config.js';
import { errorMessage, UsageError } from '../errors.js';
import type { SeriesDay } from '../series/day.js';
import { parseLocalDate } from '../time/local-date.js';
import { encodeExportCsv } from './csv.js';
import { encodeGreenButton } from './espi.js';
import { encodeNem12Export } from './nem12.js';

export const EXPORT_FORMATS = ['greenbutton', 'nem12', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportRequest {
  subject: string;
  format: ExportFormat;
  from: string;
  to: string;
  /** all channels when omitted */
  channel?: string;
  /** file to write; the text is returned (for stdout) when omitted */
  output?: string;
}

export interface ExportResult {
  format: ExportFormat;
  subject: { kind: 'meter' | 'account'; id: string };
  from: string;
  to: string;
  meters: string[];
  /** intervals written (NEM12: with a value or N; Green Button: with a value) */
  readings: number;
  bytes: number;
  output: string | null;
  /** channels the format cannot carry, left out */
  skippedChannels: string[];
}

const READ_CONCURRENCY = 16;

export async function exportSeries(
  config: SmtConfig,
  req: ExportRequest,
): Promise<{ result: ExportResult; text: string }> {
  if (parseLocalDate(req.to) < parseLocalDate(req.from))
    throw new UsageError(
      `--to ${req.to} is before --from ${req.from}`,
      'Give --from before --to (both inclusive).',
    );
  return withBillingStores(config, async (stores) => {
    const subject = await metersOf(stores, req.subject);
    const reader = stores.series();
    const byMeter = new Map<string, SeriesDay[]>();
    await forEachBounded(subject.meters, READ_CONCURRENCY, async (m) => {
      const days = await reader.days({
        meterId: m.meterId,
        from: req.from,
        to: req.to,
        ...(req.channel ? { channel: req.channel } : {}),
      });
      byMeter.set(
        m.meterId,
        days.sort((a, b) =>
          a.channel === b.channel ? a.dayStart - b.dayStart : a.channel < b.channel ? -1 : 1,
        ),
      );
    });
    let text: string;
    let readings: number;
    let skippedChannels: string[] = [];
    if (req.format === 'csv') {
      const parts = subject.meters.map((m) => encodeExportCsv(byMeter.get(m.meterId) ?? [], m.timezone));
      text = parts.map((p, i) => (i === 0 ? p.text : p.text.slice(p.text.indexOf('\n') + 1))).join('');
      readings = parts.reduce((a, p) => a + p.readings, 0);
    } else if (req.format === 'nem12') {
      const r = encodeNem12Export(subject.meters, byMeter);
      text = r.text;
      readings = r.readings;
      skippedChannels = r.skipped;
    } else {
      const r = encodeGreenButton(
        subject.meters.map((m) => ({ meterId: m.meterId, days: byMeter.get(m.meterId) ?? [] })),
      );
      text = r.xml;
      readings = r.readings;
      skippedChannels = r.skippedChannels;
    }
    if (req.output !== undefined) {
      try {
        await writeFile(req.output, text);
      } catch (err) {
        throw new UsageError(
          `cannot write ${req.output}: ${errorMessage(err)}`,
          'Give a writable --output path.',
        );
      }
    }
    return {
      text,
      result: {
        format: req.format,
        subject: { kind: subject.kind, id: req.subject },
        from: req.from,
        to: req.to,
        meters: subject.meters.map((m) => m.meterId),
        readings,
        bytes: Buffer.byteLength(text),
        output: req.output ?? null,
        skippedChannels,
      },
    };
  });
}
