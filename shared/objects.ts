/** Drops undefined properties so that messages and logs stay free of `"x": undefined` noise. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
