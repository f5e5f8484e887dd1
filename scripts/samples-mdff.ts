/**
 * AEMO MDFF samples written as text, the way files in circulation look (a kVArh stream, a BOM,
 * no header, short NMIs, blank and missing fields, padding), rather than through smt's encoder,
 * which writes only what the specification says. Called by scripts/make-samples.ts.
 */

/** Deterministic 30-minute day: a base load with a morning and an evening peak, 3 decimals. */
function day(n: number, seed: number, scale = 1): string[] {
  return Array.from({ length: n }, (_, i) => {
    const h = (i * 24) / n;
    const kw = 0.3 + 0.8 * Math.exp(-((h - 7.5) ** 2) / 2) + 1.4 * Math.exp(-((h - 19) ** 2) / 4);
    const wobble = ((i * 7919 + seed * 104729) % 97) / 970;
    return ((kw + wobble) * (24 / n) * scale).toFixed(3);
  });
}

export function mdffSamples(out: Record<string, string | Uint8Array>): void {
  // E1 (kWh) and Q1 (kVArh, written the way many MDPs write it) of one NMI, two market days
  const lines = ['100,NEM12,202603030600,SMTMDP,RETAILER1'];
  lines.push('200,NCDE002222,E1Q1,1,E1,N1,METSER2222,kWh,30,20260401');
  for (const [d, seed] of [
    ['20260301', 1],
    ['20260302', 2],
  ] as const)
    lines.push(`300,${d},${day(48, seed).join(',')},A,,,20260303060000,20260303061500`);
  lines.push('200,NCDE002222,E1Q1,1,Q1,N2,METSER2222,kVArh,30,20260401');
  for (const [d, seed] of [
    ['20260301', 3],
    ['20260302', 4],
  ] as const)
    lines.push(`300,${d},${day(48, seed, 0.3).join(',')},A,,,20260303060000,20260303061500`);
  lines.push('900');
  out['nem12/NEM12#0000000002#SMTMDP#RETAILER1.csv'] = `${lines.join('\r\n')}\r\n`;

  // An export from a retailer portal: BOM, no 100 header, a 9-character lower-case NMI, blank
  // UpdateDateTime, 12-digit date-times, rows padded with empty fields, a row without its
  // MSATSLoadDateTime, a 400 record with S and no method, a blank UOM on E2, a stream with a
  // suffix no quantity is known for (N1), and the same day twice.
  const q = ['200,ncde00333,E1E2N1,1,E1,N1,,kWh,15,,,'];
  q.push(`300,20260301,${day(96, 5).join(',')},A,,,,,,`);
  q.push(`300,20260302,${day(96, 6).join(',')},V,,,202603030600`);
  q.push('400,1,40,A,,');
  q.push('400,41,44,S,53,');
  q.push('400,45,96,A,,');
  q.push(`300,20260302,${day(96, 7).join(',')},A,,,20260304060000,20260304061500`);
  q.push('200,ncde00333,E1E2N1,2,E2,N2,,,15,');
  q.push(`300,20260301,${day(96, 8, 0.5).join(',')},A,,,20260303060000`);
  q.push('200,ncde00333,E1E2N1,3,N1,N3,,kWh,15,');
  q.push(`300,20260301,${day(96, 9).join(',')},A,,,20260303060000,`);
  q.push('900');
  out['nem12/portal-export-with-quirks.csv'] = `\ufeff${q.join('\n')}\n`;

  // NEM13: two registers of one basic meter (11 peak, 41 controlled load), three read periods;
  // the controlled-load register rolls over at 100000 in the last period
  const r = ['100,NEM13,202604021030,SMTMDP,RETAILER1'];
  const periods = [
    ['20251001093000', '20260102101500'],
    ['20260102101500', '20260401094500'],
  ];
  const reg11 = [6342.8, 7654.9, 8802.4];
  const reg41 = [98120, 99350, 420];
  for (let p = 0; p < periods.length; p++) {
    const [from, to] = periods[p]!;
    const q11 = (reg11[p + 1]! - reg11[p]!).toFixed(1);
    r.push(
      `250,NCDE004444,1141,1,11,11,METSER4444,E,${reg11[p]!.toFixed(1).padStart(8, '0')},${from},A,,,${reg11[p + 1]!.toFixed(1).padStart(8, '0')},${to},${p === 1 ? 'E64' : 'A'},,,${q11},kWh,20260701,20260402103000,20260402110000`,
    );
    r.push('550,N,,A,');
    const q41 = reg41[p + 1]! >= reg41[p]! ? reg41[p + 1]! - reg41[p]! : reg41[p + 1]! + 100000 - reg41[p]!;
    r.push(
      `250,NCDE004444,1141,2,41,41,METSER4444,E,${String(reg41[p]).padStart(6, '0')},${from},A,,,${String(reg41[p + 1]).padStart(6, '0')},${to},A,,,${q41},kWh,20260701,20260402103000,20260402110000`,
    );
  }
  r.push('900');
  out['nem13/NEM13#0000000001#SMTMDP#RETAILER1.csv'] = `${r.join('\n')}\n`;
}
