/**
 * The level a balance of XP reaches. Level n needs 50·(n−1)² XP: level 1 at 0, 2 at 50, 3 at 200,
 * 4 at 450, 5 at 800, 10 at 4,050. Each level costs 100 XP more than the one before, so early
 * levels come quickly (a week of check-ins reaches level 3) and later ones mark real commitment.
 *
 * @example levelFor(0) // 1
 * @example levelFor(200) // 3
 */
export function levelFor(xp: number): number {
  if (!Number.isFinite(xp) || xp <= 0) return 1;
  return Math.floor(Math.sqrt(xp / 50)) + 1;
}

/** The XP at which `level` starts. */
export function xpForLevel(level: number): number {
  return 50 * (Math.max(1, Math.floor(level)) - 1) ** 2;
}
