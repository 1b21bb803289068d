/**
 * Sticky assignment of A/B keys to targets by weighted rendezvous hashing (highest random weight,
 * Thaler & Ravishankar 1996; the weighted form of Schindelhauer & Schomaker 2005): each target
 * scores `-weight / ln(u)` with `u` a uniform hash of (key, target), and the highest score wins.
 * A key always reaches the same target while the targets stay the same; when a target is added,
 * removed or reweighted, only the keys that must move do. Each target wins with probability
 * weight / Σ weights.
 */

/** cyrb53 (bryc, public domain): a fast 53-bit string hash with a seed, good avalanche. */
export function cyrb53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A uniform number in (0, 1) from a key and a target's seed. */
export function unitHash(key: string, seed: number): number {
  return (cyrb53(key, seed) + 0.5) / 2 ** 53;
}

/** A stable 32-bit seed for a target, from its identity (the model reference). */
export function targetSeed(identity: string): number {
  return cyrb53(identity) % 4294967296;
}

export interface StickyTarget {
  readonly seed: number;
  readonly weight: number;
}

/** Index of the target `key` is assigned to; -1 when no target has a positive weight. */
export function stickyPick(key: string, targets: readonly StickyTarget[]): number {
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    if (!(t.weight > 0)) continue;
    const score = -t.weight / Math.log(unitHash(key, t.seed));
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}
