/** Series colours, distinguishable for the common colour-vision deficiencies (Okabe–Ito order). */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#6b6b6b', '#f0e442'];

export function colorOf(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/**
 * The heat map's colour for a drift score (1 = at the test's threshold): pale green below half,
 * through yellow at the threshold, to deep red at 4 and beyond.
 */
export function driftColor(score: number | null): string {
  if (score === null) return '#f1f3f5';
  const stops: [number, [number, number, number]][] = [
    [0, [237, 248, 233]],
    [0.5, [199, 233, 192]],
    [1, [254, 224, 139]],
    [2, [252, 141, 89]],
    [4, [215, 48, 39]],
    [10, [127, 0, 0]],
  ];
  if (score <= 0) return rgb(stops[0][1]);
  for (let i = 1; i < stops.length; i++) {
    const [s1, c1] = stops[i];
    const [s0, c0] = stops[i - 1];
    if (score <= s1) {
      const f = (score - s0) / (s1 - s0);
      return rgb([0, 1, 2].map((k) => c0[k] + f * (c1[k] - c0[k])) as [number, number, number]);
    }
  }
  return rgb(stops[stops.length - 1][1]);
}

function rgb([r, g, b]: [number, number, number]): string {
  return `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
}
