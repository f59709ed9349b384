import type { BucketRule } from "../throttle/store.ts";

export type { BucketRule } from "../throttle/store.ts";

/** Chat flood control per user unless COC_CHAT_BURST / COC_CHAT_PER_SECOND say otherwise. */
export const DEFAULT_CHAT_RATE: BucketRule = { burst: 5, perSecond: 1 };
