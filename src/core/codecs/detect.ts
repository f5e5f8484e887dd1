/**
 * Payload format from a file name and the first bytes, for `smt validate <file>` and `smt import`.
 * Content wins over the extension where they disagree in a way content can settle (a NEM12 file is
 * usually named .csv).
 */
import { DlmsTag } from './axdr.js';
import type { WireFormat } from './types.js';

const EXT: Record<string, WireFormat> = {
  json: 'json',
  ndjson: 'json',
  jsonl: 'json',
  csv: 'csv',
  tsv: 'csv',
  bin: 'dlms',
  dlms: 'dlms',
  axdr: 'dlms',
  hex: 'dlms',
  nem12: 'nem12',
  mdff: 'nem12',
  xml: 'espi',
  p1: 'dsmr',
  dsmr: 'dsmr',
  hdlc: 'hdlc',
  nem13: 'nem13',
};

export function detectFormat(input: Uint8Array | string, fileName?: string): WireFormat | undefined {
  const head = typeof input === 'string' ? input.slice(0, 512) : latin1(input.subarray(0, 512));
  const text = head
    .replace(/^\ufeff/, '')
    .replace(/^\xef\xbb\xbf/, '')
    .trimStart();

  const mdff = /^100\s*,\s*(NEM1[23])\b/i.exec(text)?.[1]?.toLowerCase();
  if (mdff === 'nem12' || mdff === 'nem13') return mdff;
  // without its 100 header a NEM12 file starts with a 200 record (NMI, configuration, register,
  // suffix, …) and a NEM13 file with a 250 record; no generic CSV starts like that
  if (/^200,[A-Za-z0-9]{1,11},[^,\n]*,[^,\n]*,[A-Za-z][A-Za-z0-9],/.test(text)) return 'nem12';
  if (/^250,[A-Za-z0-9]{1,11},[^,\n]*,[^,\n]*,[A-Za-z0-9]{2},/.test(text)) return 'nem13';
  // AEMO file names: NEM12#<id>#<from>#<to>.csv / .zip
  const named = fileName === undefined ? undefined : /(?:^|[\\/])(NEM1[23])#/i.exec(fileName)?.[1];
  if (named !== undefined && /^\d{3}\s*,/.test(text)) return named.toLowerCase() as 'nem12' | 'nem13';

  if (typeof input !== 'string' && input.length >= 2 && input[0] === DlmsTag.Array && isDlmsStart(input))
    return 'dlms';
  // HDLC frame: flag, then format type 3 (0xA0..0xAF)
  if (typeof input !== 'string' && input[0] === 0x7e && (input[1]! & 0xf0) === 0xa0) return 'hdlc';
  // DSMR P1: identification line /XXX5…, then OBIS lines
  if (/^\/[A-Za-z]{3}\d/.test(text) && /\n\d{1,3}-\d{1,3}:\d{1,3}\.\d{1,3}\.\d{1,3}\(/.test(text))
    return 'dsmr';
  if (text.startsWith('<') && /naesb\.org\/espi|<(\w+:)?(IntervalBlock|UsagePoint)\b/.test(text))
    return 'espi';

  const ext = fileName === undefined ? undefined : /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  const byExt = ext === undefined ? undefined : EXT[ext];

  if (text.startsWith('{') || text.startsWith('[')) return 'json';
  // hex text of a profile buffer: "01 60 02 04 09 0c …"
  if (/^(0x)?01[\s:]*[0-9a-f]{2}[\s:]*02/i.test(text) && /^[0-9a-fx\s:]+$/i.test(text)) return 'dlms';
  if (byExt !== undefined && byExt !== 'json') return byExt;
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  if (/[,;]/.test(firstLine) && /meter|channel|value|interval|start/i.test(firstLine)) return 'csv';
  return byExt;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** array tag, an A-XDR length, then a structure tag (or an empty array). */
function isDlmsStart(b: Uint8Array): boolean {
  const len = b[1]!;
  if (len === 0) return b.length === 2;
  let i = 2;
  if (len >= 0x80) i += len & 0x7f;
  return b[i] === DlmsTag.Structure;
}
