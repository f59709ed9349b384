/** An XP package: what it costs in rupees and the XP it buys. */
export interface XpPackage {
  amountInr: number;
  xp: number;
}

/** The packages on sale unless COC_XP_PACKAGES says otherwise: ₹99 → 100 XP, and bulk a little cheaper. */
export const DEFAULT_XP_PACKAGES: readonly XpPackage[] = [
  { amountInr: 49, xp: 50 },
  { amountInr: 99, xp: 100 },
  { amountInr: 199, xp: 200 },
  { amountInr: 249, xp: 250 },
  { amountInr: 499, xp: 500 },
  { amountInr: 749, xp: 800 },
  { amountInr: 999, xp: 1000 },
  { amountInr: 1999, xp: 2500 },
];
