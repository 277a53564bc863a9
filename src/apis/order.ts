// One order for names and keys everywhere: by UTF-16 code units, as Go's sort.Strings orders
// them (for the ASCII of Kubernetes names, byte order). Never localeCompare: its order depends on
// the process's locale, and its first use loads ICU's collation data (~7 MiB of the process).

/** Compares two strings by code units: negative, zero or positive, for Array.prototype.sort. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
