/**
 * metav1.Condition bookkeeping: set a condition so that `lastTransitionTime` changes only
 * when its status flips, and compare condition lists for "did anything change".
 */
import type { Condition } from '../api/index.js';

/** ConditionInput is a condition without its transition time (computed by setCondition). */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/**
 * setConditions returns `next` as full conditions, keeping each previous `lastTransitionTime`
 * when the status did not change, in a stable order (the order of `next`). Conditions of
 * other types in `previous` are kept after them.
 */
export function setConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  now: Date,
): Condition[] {
  const old = new Map((previous ?? []).map((c) => [c.type, c]));
  const out: Condition[] = next.map((c) => {
    const before = old.get(c.type);
    const lastTransitionTime =
      before && before.status === c.status ? before.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z');
    return { ...c, message: c.message.slice(0, 32_768), lastTransitionTime };
  });
  const types = new Set(next.map((c) => c.type));
  for (const c of previous ?? []) if (!types.has(c.type)) out.push(c);
  return out;
}

/** findCondition returns the condition of `type`, if present. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** flipped lists the condition types whose status differs between two lists (new types count). */
export function flipped(before: readonly Condition[] | undefined, after: readonly Condition[]): Condition[] {
  return after.filter((c) => findCondition(before, c.type)?.status !== c.status);
}
